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

import type { ChainBatch } from './chain-append.js';
import type { ChainConnectionOptions } from './sqlite-chain-writer.js';

export interface AuditWorkerData extends ChainConnectionOptions {
  path: string;
  /** Wakes the checkpoint thread after each commit (sqlite-checkpoint-signal.ts). */
  checkpointSignal: Int32Array;
  /** WAL size (frames, as the checkpoint thread reports it) at which the writer restarts it. */
  walLimitFrames: number;
}

export type AuditWorkerReply =
  | { ok: true; written: number }
  | { ok: false; error: { message: string; code?: string | undefined } };

const extension = import.meta.url.slice(import.meta.url.lastIndexOf('.'));
const local = (path: string) => new URL(`${path}${extension}`, import.meta.url).href;
const [
  { recordHash },
  { appendToChainSync, CHAIN_ID, factKey },
  { SqliteChainWriter, openChainConnection },
  { CheckpointOwner, CheckpointSignal, signalCommit },
] = (await Promise.all([
  import(local('../record/chain-hash')),
  import(local('./chain-append')),
  import(local('./sqlite-chain-writer')),
  import(local('./sqlite-checkpoint-signal')),
])) as [
  typeof import('../record/chain-hash.js'),
  typeof import('./chain-append.js'),
  typeof import('./sqlite-chain-writer.js'),
  typeof import('./sqlite-checkpoint-signal.js'),
];
const code = { appendToChainSync, CHAIN_ID, factKey, recordHash };

const data = workerData as AuditWorkerData;
const port = parentPort!;
let writer: InstanceType<typeof SqliteChainWriter> | undefined;
/** This thread checkpointed and holds the checkpoint until a transaction restarted the WAL. */
let restarting = false;

function open(): InstanceType<typeof SqliteChainWriter> {
  const db = openChainConnection(data.path, data);
  try {
    return new SqliteChainWriter(db, code);
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
    releaseCheckpoint();
  } catch (err) {
    try {
      writer?.close();
    } catch {
      // Already failing; the error below is the one that matters.
    }
    writer = undefined;
    releaseCheckpoint();
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
  if (
    writer &&
    Atomics.load(data.checkpointSignal, CheckpointSignal.walFrames) >= data.walLimitFrames
  ) {
    restartWal(writer);
  }
});

function releaseCheckpoint(): void {
  if (!restarting) return;
  restarting = false;
  Atomics.store(data.checkpointSignal, CheckpointSignal.owner, CheckpointOwner.free);
}

/**
 * The WAL only starts over when a transaction begins with every frame copied back, which a
 * checkpoint running beside a busy writer never sees (commits land while it syncs), and that
 * a checkpoint running at that moment prevents. So once the checkpoint thread reports a WAL
 * of `walLimitFrames`, the writer checkpoints itself between two batches and keeps the
 * checkpoint thread out until its next transaction has started the WAL over. The checkpoint
 * thread has copied nearly everything by then, so this costs the newest frames plus the
 * syncs, and the next batch waits that long (measured and reported in the signal).
 */
function restartWal(chain: InstanceType<typeof SqliteChainWriter>): void {
  const signal = data.checkpointSignal;
  const { owner } = CheckpointSignal;
  // The checkpoint thread is at it right now: try again after the next batch.
  if (Atomics.compareExchange(signal, owner, CheckpointOwner.free, CheckpointOwner.writer) !== 0) {
    return;
  }
  restarting = true;
  const started = performance.now();
  try {
    // Another process's checkpoint was running: try again after the next report.
    if (!chain.checkpoint()) {
      releaseCheckpoint();
      return;
    }
  } catch {
    // A failing store shows in the next commit; this is tried again after the next report.
  }
  const micros = Math.round((performance.now() - started) * 1000);
  Atomics.store(signal, CheckpointSignal.walFrames, 0);
  Atomics.add(signal, CheckpointSignal.writerRuns, 1);
  Atomics.add(signal, CheckpointSignal.writerMicros, micros);
  if (micros > Atomics.load(signal, CheckpointSignal.writerMaxMicros)) {
    Atomics.store(signal, CheckpointSignal.writerMaxMicros, micros);
  }
}
