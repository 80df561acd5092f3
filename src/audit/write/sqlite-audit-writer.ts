import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { type Logger, pino } from 'pino';
import type { SqliteFile } from '../../store/store.js';
import { type AuditOp, chainBatch } from './audit-writes.js';
import type { ChainBatch } from './chain-append.js';
import type { AuditWorkerData, AuditWorkerReply } from './sqlite-audit-worker.js';
import { CheckpointOwner, CheckpointSignal } from './sqlite-checkpoint-signal.js';
import type { CheckpointWorkerData } from './sqlite-checkpoint-worker.js';

export interface SqliteAuditWriterOptions {
  logger?: Logger;
  /**
   * Least time between two checkpoints while commits keep coming (default 100 ms, so a page
   * that several commits rewrote is copied back once).
   */
  checkpointIntervalMs?: number;
  /** WAL pages at which the writer checkpoints itself so the WAL starts over (default 1024: 4 MiB). */
  walLimitFrames?: number;
}

export interface CheckpointStats {
  /** Checkpoints run and failed since the writer started. */
  runs: number;
  failures: number;
  /** WAL frames (pages) when the last checkpoint ran, and how many of them it copied back. */
  walFrames: number;
  copiedFrames: number;
  /** Checkpoints the writer thread ran itself to restart the WAL; their total and longest µs. */
  writerRuns: number;
  writerMicros: number;
  writerMaxMicros: number;
}

/** The worker files sit next to this one, built (.js) or, under the test runner, as sources. */
const WORKER_EXTENSION = extname(fileURLToPath(import.meta.url));
const workerUrl = (name: string) => new URL(`./${name}${WORKER_EXTENSION}`, import.meta.url);

/**
 * Commits audit batches to a SQLite store from a worker thread with its own connection and
 * prepared statements (sqlite-chain-writer.ts), so the event loop never runs SQLite, and runs
 * WAL checkpoints from a second thread so no commit waits on a checkpoint's fsync. One batch
 * at a time (GroupCommit's contract): `commit` resolves once the batch's COMMIT returned and
 * rejects when it failed. If the thread dies, the batch in flight is rejected (its outcome is
 * unknown, so its ops count as attempted) and the next commit starts a new thread.
 */
export class SqliteAuditWriter {
  readonly #file: SqliteFile;
  readonly #logger: Logger;
  readonly #checkpointIntervalMs: number;
  readonly #walLimitFrames: number;
  readonly #signal = new Int32Array(new SharedArrayBuffer(4 * CheckpointSignal.length));
  #writer: Worker | undefined;
  #checkpointer: Worker | undefined;
  #inFlight: { resolve: () => void; reject: (err: Error) => void } | undefined;
  /** Settles once the batch in flight (if any) has. */
  #settled: Promise<unknown> = Promise.resolve();
  #closing: Promise<void> | undefined;

  constructor(file: SqliteFile, options: SqliteAuditWriterOptions = {}) {
    this.#file = file;
    this.#logger = options.logger ?? pino({ level: 'silent' });
    this.#checkpointIntervalMs = options.checkpointIntervalMs ?? 100;
    this.#walLimitFrames = options.walLimitFrames ?? 1024;
    // Started now: a thread takes tens of milliseconds to start, too long for the first commit.
    this.#startWriter();
    this.#startCheckpointer();
  }

  /** Appends `ops` to the chain in one transaction, stamped `recordedAt`. */
  commit(ops: ReadonlyArray<AuditOp>, recordedAt: number): Promise<void> {
    return this.append(chainBatch(ops, recordedAt));
  }

  /** Appends `batch` to the chain in one transaction (its events marked retried are looked up first). */
  append(batch: ChainBatch): Promise<void> {
    if (this.#closing) return Promise.reject(new Error('the audit writer is closed'));
    if (this.#inFlight)
      return Promise.reject(new Error('the audit writer takes one batch at a time'));
    const worker = this.#writer ?? this.#startWriter();
    if (!this.#checkpointer) this.#startCheckpointer();
    const committed = new Promise<void>((resolve, reject) => {
      this.#inFlight = { resolve, reject };
      worker.ref();
      worker.postMessage(batch);
    });
    this.#settled = committed.catch(() => undefined);
    return committed;
  }

  checkpointStats(): CheckpointStats {
    const signal = this.#signal;
    return {
      runs: Atomics.load(signal, CheckpointSignal.runs),
      failures: Atomics.load(signal, CheckpointSignal.failures),
      walFrames: Atomics.load(signal, CheckpointSignal.walFrames),
      copiedFrames: Atomics.load(signal, CheckpointSignal.copiedFrames),
      writerRuns: Atomics.load(signal, CheckpointSignal.writerRuns),
      writerMicros: Atomics.load(signal, CheckpointSignal.writerMicros),
      writerMaxMicros: Atomics.load(signal, CheckpointSignal.writerMaxMicros),
    };
  }

  /**
   * Ends the writer thread at once, as a crash would: a batch in flight is rejected. The next
   * commit starts a new thread. For tests of that failure, and for `close` when stuck.
   */
  async terminate(): Promise<void> {
    await this.#writer?.terminate();
  }

  /** Lets a batch in flight finish, then ends both threads (their connections closed). Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      await this.#settled;
      Atomics.store(this.#signal, CheckpointSignal.stop, 1);
      Atomics.notify(this.#signal, CheckpointSignal.pending);
      Atomics.notify(this.#signal, CheckpointSignal.stop);
      const writer = this.#writer;
      const checkpointer = this.#checkpointer;
      writer?.postMessage(null);
      await Promise.all([exited(writer), exited(checkpointer)]);
    })();
    return this.#closing;
  }

  #startWriter(): Worker {
    const data: AuditWorkerData = {
      ...this.#file,
      checkpointSignal: this.#signal,
      walLimitFrames: this.#walLimitFrames,
    };
    const worker = new Worker(workerUrl('sqlite-audit-worker'), { workerData: data });
    worker.unref();
    this.#writer = worker;
    worker.on('message', (reply: AuditWorkerReply) => {
      worker.unref();
      const inFlight = this.#inFlight;
      this.#inFlight = undefined;
      if (reply.ok) inFlight?.resolve();
      else
        inFlight?.reject(Object.assign(new Error(reply.error.message), { code: reply.error.code }));
    });
    worker.on('error', (err: Error) => this.#writerDied(worker, err));
    worker.on('exit', (code) =>
      this.#writerDied(worker, new Error(`the audit writer thread exited (code ${code})`)),
    );
    return worker;
  }

  #writerDied(worker: Worker, err: Error): void {
    if (this.#writer !== worker) return;
    this.#writer = undefined;
    // It may have died holding the checkpoint (see CheckpointSignal.owner).
    Atomics.compareExchange(
      this.#signal,
      CheckpointSignal.owner,
      CheckpointOwner.writer,
      CheckpointOwner.free,
    );
    const inFlight = this.#inFlight;
    this.#inFlight = undefined;
    if (!this.#closing) this.#logger.error({ err }, 'audit writer thread died; starting a new one');
    inFlight?.reject(err);
  }

  #startCheckpointer(): void {
    const data: CheckpointWorkerData = {
      path: this.#file.path,
      synchronous: this.#file.synchronous,
      signal: this.#signal,
      intervalMs: this.#checkpointIntervalMs,
    };
    const worker = new Worker(workerUrl('sqlite-checkpoint-worker'), { workerData: data });
    worker.unref();
    this.#checkpointer = worker;
    const died = (err: Error) => {
      if (this.#checkpointer !== worker) return;
      this.#checkpointer = undefined;
      if (!this.#closing) this.#logger.error({ err }, 'WAL checkpoint thread died; restarting');
    };
    worker.on('error', (err: Error) => died(err));
    worker.on('exit', (code) => died(new Error(`the checkpoint thread exited (code ${code})`)));
  }
}

function exited(worker: Worker | undefined): Promise<void> {
  if (!worker) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => void worker.terminate(), 2000);
    worker.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
