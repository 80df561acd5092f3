import { parentPort, workerData } from 'node:worker_threads';

/**
 * The audit writer thread (see SqliteAuditWriter): owns a connection to the SQLite store and
 * appends each batch the main thread posts, replying `{ ok, written }` or `{ ok: false, error }`;
 * `null` closes the connection and ends the thread. After a failure the connection is closed
 * and opened anew for the next batch.
 *
 * The thread runs this file as built (dist, .js) or from sources (.ts, Node's type stripping,
 * which does not map `./x.js` specifiers to `.ts` files), so the modules it needs are imported
 * with its own extension; they import node built-ins only.
 */

import type { recordHash as RecordHash } from '../audit/chain-hash.js';
import type { ChainBatch, ChainConnectionOptions } from './sqlite-chain-writer.js';

export interface AuditWorkerData extends ChainConnectionOptions {
  path: string;
  /** Wakes the checkpoint thread after each commit (sqlite-checkpoint-signal.ts). */
  checkpointSignal: Int32Array;
}

export type AuditWorkerReply =
  | { ok: true; written: number }
  | { ok: false; error: { message: string; code?: string | undefined } };

const extension = import.meta.url.slice(import.meta.url.lastIndexOf('.'));
const local = (path: string) => new URL(`${path}${extension}`, import.meta.url).href;
const [{ recordHash }, { SqliteChainWriter, openChainConnection }, { signalCommit }] =
  (await Promise.all([
    import(local('../audit/chain-hash')),
    import(local('./sqlite-chain-writer')),
    import(local('./sqlite-checkpoint-signal')),
  ])) as [
    { recordHash: typeof RecordHash },
    typeof import('./sqlite-chain-writer.js'),
    typeof import('./sqlite-checkpoint-signal.js'),
  ];

const data = workerData as AuditWorkerData;
const port = parentPort!;
let writer: InstanceType<typeof SqliteChainWriter> | undefined;

function open(): InstanceType<typeof SqliteChainWriter> {
  const db = openChainConnection(data.path, data);
  try {
    return new SqliteChainWriter(db, recordHash);
  } catch (err) {
    db.close();
    throw err;
  }
}

port.on('message', (batch: ChainBatch | null) => {
  if (batch === null) {
    writer?.close();
    port.close();
    return;
  }
  let reply: AuditWorkerReply;
  try {
    writer ??= open();
    reply = { ok: true, written: writer.append(batch) };
    signalCommit(data.checkpointSignal);
  } catch (err) {
    try {
      writer?.close();
    } catch {
      // Already failing; the error below is the one that matters.
    }
    writer = undefined;
    const { message, code } = err as { message?: unknown; code?: unknown };
    reply = {
      ok: false,
      error: {
        message: typeof message === 'string' ? message : String(err),
        code: typeof code === 'string' ? code : undefined,
      },
    };
  }
  port.postMessage(reply);
});
