import { createServer, connect as netConnect, type Socket } from 'node:net';
import type { TargetFactory } from './targets.js';

/**
 * The floor for any proxy written in Node: a TCP relay in this process that copies bytes both
 * ways without reading them (no framing, no gate, no audit). The gateway can at best approach
 * it; the distance between this and PgBouncer is what the runtime costs, not Gatehouse.
 */
export const nodeRelayTarget: TargetFactory = async (upstream) => {
  const sockets = new Set<Socket>();
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
  };
  const server = createServer({ noDelay: true }, (client) => {
    const target = netConnect({ host: upstream.host, port: upstream.port, noDelay: true });
    track(client);
    track(target);
    relay(client, target);
    relay(target, client);
    client.once('close', () => target.destroy());
    target.once('close', () => client.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    endpoint: {
      label: 'node-relay',
      host: '127.0.0.1',
      port,
      user: upstream.user,
      database: upstream.database,
    },
    cpuMicros: processCpuMicros,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
};

/** Copies `from` to `to` as chunks arrive, pausing `from` while `to` is full (as the gateway does). */
function relay(from: Socket, to: Socket): void {
  from.on('data', (chunk) => {
    if (!to.write(chunk)) {
      from.pause();
      to.once('drain', () => from.resume());
    }
  });
}

/** CPU time (user + system) this process has used so far, µs. */
export function processCpuMicros(): number {
  const { user, system } = process.cpuUsage();
  return user + system;
}
