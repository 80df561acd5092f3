import { connect } from 'node:net';
import pg from 'pg';

/** The CancelRequest code (1234 << 16 | 5678), https://www.postgresql.org/docs/current/protocol-message-formats.html */
const CANCEL_REQUEST_CODE = 80877102;

/**
 * Sends a raw CancelRequest for (processId, secretKey) to host:port and resolves when the
 * server closes the connection, as it does after every cancel request, valid or not.
 */
export function sendCancelRequest(
  host: string,
  port: number,
  processId: number,
  secretKey: number,
): Promise<void> {
  const message = Buffer.alloc(16);
  message.writeInt32BE(16, 0);
  message.writeInt32BE(CANCEL_REQUEST_CODE, 4);
  message.writeInt32BE(processId, 8);
  message.writeInt32BE(secretKey | 0, 12);
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port }, () => socket.write(message));
    socket.setTimeout(5000, () => socket.destroy(new Error('cancel request: no close after 5 s')));
    socket.on('error', reject);
    socket.on('close', (hadError) => {
      if (!hadError) resolve();
    });
    socket.resume();
  });
}

/** What pg keeps from BackendKeyData (untyped in @types/pg). */
export function backendKey(client: pg.Client): { processId: number; secretKey: number } {
  const { processID, secretKey } = client as unknown as {
    processID: number | null;
    secretKey: number | null;
  };
  if (processID === null || secretKey === null) throw new Error('no BackendKeyData received');
  return { processId: processID, secretKey };
}

/** pg's own cancel: a fresh client built from `config` sends the CancelRequest for `query`. */
export function cancelWithPg(config: pg.ClientConfig, client: pg.Client, query: pg.Query): void {
  const canceller = new pg.Client(config) as unknown as {
    cancel(client: pg.Client, query: pg.Query): void;
  };
  canceller.cancel(client, query);
}
