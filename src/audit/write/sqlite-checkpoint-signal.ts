/**
 * Layout of the Int32Array (over a SharedArrayBuffer) through which the audit writer thread
 * wakes the checkpoint thread and the checkpoint thread reports back. No imports: the worker
 * threads load it from dist and from sources alike.
 */
export const CheckpointSignal = {
  /** 1 once a commit added frames to the WAL; the checkpoint thread clears it. */
  pending: 0,
  /** 1 tells the checkpoint thread to close its connection and end. */
  stop: 1,
  /** WAL frames, and frames copied back, as the last checkpoint reported them. */
  walFrames: 2,
  copiedFrames: 3,
  /** Checkpoints run, and failed, so far. */
  runs: 4,
  failures: 5,
  /**
   * Checkpoints the writer ran itself to let the WAL start over (see sqlite-audit-worker.ts),
   * and the total and longest time they took (µs).
   */
  writerRuns: 6,
  writerMicros: 7,
  writerMaxMicros: 8,
  /**
   * Who may checkpoint: FREE, CHECKPOINTER (a pass is running) or WRITER (the writer
   * checkpointed and holds it until its next transaction has started the WAL over). Taken
   * with compareExchange from FREE, so a pass never runs between the two, where it would
   * keep the WAL from starting over.
   */
  owner: 9,
  length: 10,
} as const;

export const CheckpointOwner = { free: 0, checkpointer: 1, writer: 2 } as const;

/** Wakes the checkpoint thread unless it already has a wake-up pending. Called after commits. */
export function signalCommit(signal: Int32Array): void {
  if (Atomics.compareExchange(signal, CheckpointSignal.pending, 0, 1) === 0) {
    Atomics.notify(signal, CheckpointSignal.pending);
  }
}
