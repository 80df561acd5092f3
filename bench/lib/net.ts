import { connect, createServer } from 'node:net';

/** A port the OS just handed out on loopback (for programs that cannot listen on port 0). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Polls until host:port accepts TCP connections; false on timeout or when `gaveUp` settles. */
export async function waitForPort(
  host: string,
  port: number,
  timeoutMs: number,
  gaveUp?: Promise<unknown>,
): Promise<boolean> {
  let stopped = false;
  void gaveUp?.then(() => {
    stopped = true;
  });
  const deadline = Date.now() + timeoutMs;
  while (!stopped && Date.now() < deadline) {
    if (await accepts(host, port)) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return false;
}

function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}
