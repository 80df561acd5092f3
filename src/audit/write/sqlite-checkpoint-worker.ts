import { DatabaseSync } from 'node:sqlite';
import { workerData } from 'node:worker_threads';
import type {
  CheckpointSignal as Layout,
  CheckpointOwner as Owner,
} from './sqlite-checkpoint-signal.js';

/**
 * The checkpoint thread (see SqliteAuditWriter): copies the WAL back into the database file
 * with PASSIVE checkpoints from a connection of its own, so the WAL stays small while the
 * audit writer, whose connection never checkpoints, commits without waiting for an fsync of
 * the database file. PASSIVE never takes the write lock: commits go on during a checkpoint.
 *
 * It sleeps on `signal` (a SharedArrayBuffer) until the writer reports a commit, lets commits
 * gather for `intervalMs`, checkpoints, and sleeps again: an idle gateway costs nothing.
 * Runs from dist (.js) and from sources (.ts, type stripping): see sqlite-audit-worker.ts.
 */
export interface CheckpointWorkerData {
  path: string;
  synchronous: 'normal' | 'full';
  signal: Int32Array;
  intervalMs: number;
}

interface CheckpointRow {
  busy: number;
  log: number;
  checkpointed: number;
}

const extension = import.meta.url.slice(import.meta.url.lastIndexOf('.'));
const { CheckpointSignal: at, CheckpointOwner: owner } = (await import(
  new URL(`./sqlite-checkpoint-signal${extension}`, import.meta.url).href
)) as { CheckpointSignal: typeof Layout; CheckpointOwner: typeof Owner };
const { path, synchronous, signal, intervalMs } = workerData as CheckpointWorkerData;
let db: DatabaseSync | undefined;
const stopped = () => Atomics.load(signal, at.stop) !== 0;

while (!stopped()) {
  Atomics.wait(signal, at.pending, 0);
  // Returns at once when stop is set (and notified); otherwise after intervalMs.
  Atomics.wait(signal, at.stop, 0, intervalMs);
  if (stopped()) break;
  Atomics.store(signal, at.pending, 0);
  // The writer is starting the WAL over: nothing to do until its next commit.
  if (Atomics.compareExchange(signal, at.owner, owner.free, owner.checkpointer) !== owner.free) {
    continue;
  }
  try {
    db ??= open();
    const row = db.prepare('PRAGMA wal_checkpoint(PASSIVE)').get() as unknown as CheckpointRow;
    Atomics.store(signal, at.walFrames, row.log);
    Atomics.store(signal, at.copiedFrames, row.checkpointed);
    Atomics.add(signal, at.runs, 1);
  } catch {
    // The writer reports store failures; a checkpoint that failed is retried after its next commit.
    Atomics.add(signal, at.failures, 1);
    db?.close();
    db = undefined;
  } finally {
    Atomics.store(signal, at.owner, owner.free);
  }
}
db?.close();

function open(): DatabaseSync {
  const connection = new DatabaseSync(path);
  try {
    connection.exec(`PRAGMA synchronous = ${synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
    connection.exec('PRAGMA wal_autocheckpoint = 0');
    return connection;
  } catch (err) {
    connection.close();
    throw err;
  }
}
