import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { type Logger, pino } from 'pino';

/**
 * A real HTTP receiver for notifier tests. When given a Standard Webhooks secret it verifies
 * every request with its own implementation (WebCrypto, not the gateway's node:crypto code)
 * and answers 401 to anything unsigned, tampered or stale, as a production receiver would.
 */

export type Reply = number | 'hang' | { status: number; headers?: Record<string, string> };

export interface ReceivedRequest {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** Signature check result; undefined when the receiver has no secret. */
  verified?: boolean;
  /** Receiver clock (ms) when the request arrived. */
  at: number;
}

export interface Receiver {
  /** Base URL, `http://127.0.0.1:PORT`. */
  url: string;
  requests: ReceivedRequest[];
  /** `webhook-id`s accepted with a 2xx: what an idempotent consumer would process. */
  processed: Set<string>;
  close(): Promise<void>;
}

export interface ReceiverOptions {
  /** `whsec_…`: verify Standard Webhooks signatures. */
  secret?: string;
  /** Replies in order, one per request; after the script runs out, 200. */
  script?: Reply[];
  /** Allowed clock difference for `webhook-timestamp`, in seconds. */
  toleranceSeconds?: number;
}

/** Independent Standard Webhooks verification: HMAC-SHA256 over `${id}.${ts}.${body}`. */
export async function verifyStandardWebhook(
  secret: string,
  headers: IncomingHttpHeaders,
  body: string,
  nowSeconds: number,
  toleranceSeconds = 300,
): Promise<boolean> {
  const id = headers['webhook-id'];
  const timestamp = headers['webhook-timestamp'];
  const signatures = headers['webhook-signature'];
  if (typeof id !== 'string' || typeof timestamp !== 'string' || typeof signatures !== 'string') {
    return false;
  }
  if (!/^\d+$/.test(timestamp) || Math.abs(nowSeconds - Number(timestamp)) > toleranceSeconds) {
    return false;
  }
  const raw = Uint8Array.from(atob(secret.replace(/^whsec_/, '')), (c) => c.charCodeAt(0));
  const key = await crypto.subtle.importKey('raw', raw, { name: 'HMAC', hash: 'SHA-256' }, false, [
    'verify',
  ]);
  const signed = new TextEncoder().encode(`${id}.${timestamp}.${body}`);
  for (const entry of signatures.split(' ')) {
    const [version, value] = entry.split(',', 2);
    if (version !== 'v1' || !value) continue;
    const mac = Uint8Array.from(atob(value), (c) => c.charCodeAt(0));
    // subtle.verify compares in constant time.
    if (await crypto.subtle.verify('HMAC', key, mac, signed)) return true;
  }
  return false;
}

export async function startReceiver(options: ReceiverOptions = {}): Promise<Receiver> {
  const requests: ReceivedRequest[] = [];
  const processed = new Set<string>();
  const script = [...(options.script ?? [])];
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const received: ReceivedRequest = {
      path: req.url ?? '',
      headers: req.headers,
      body,
      at: Date.now(),
    };
    if (options.secret) {
      received.verified = await verifyStandardWebhook(
        options.secret,
        req.headers,
        body,
        Math.floor(Date.now() / 1000),
        options.toleranceSeconds,
      );
    }
    requests.push(received);
    if (received.verified === false) {
      res.writeHead(401).end('bad signature');
      return;
    }
    const reply = script.shift() ?? 200;
    if (reply === 'hang') return;
    const { status, headers } = typeof reply === 'number' ? { status: reply, headers: {} } : reply;
    if (status >= 200 && status < 300) processed.add(String(req.headers['webhook-id']));
    res.writeHead(status, headers).end(status >= 400 ? `error ${status} at ${req.url}` : 'ok');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    processed,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A port with nothing listening: bound once, then released. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface LogRecord {
  level: number;
  msg: string;
  [key: string]: unknown;
}

/** A pino logger whose records land in an array, plus the raw text to search for leaks. */
export function captureLogger(): { logger: Logger; records: LogRecord[]; text: () => string } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  const logger = pino({ level: 'debug' }, stream);
  return {
    logger,
    get records() {
      return lines.map((line) => JSON.parse(line) as LogRecord);
    },
    text: () => lines.join(''),
  };
}
