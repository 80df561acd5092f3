/**
 * When the meaning of a name is still changing on the target, the gateway waits for the
 * target's answer before it classifies anything that uses the name. Without this, a command
 * pipelined behind `PREPARE p AS <new>` (or behind a Parse/Close of `p`) would be checked
 * against the old `p` while the target runs the new one.
 */
import type { SqlClassification } from '../classify/classifier.js';
import type { OutputBatch } from '../protocol/batch.js';
import { FrontendCode } from '../protocol/message-codes.js';
import type { Lookup, NameTable } from './names.js';
import type { Pending, Statement } from './pending.js';

const FLUSH = Buffer.from([FrontendCode.Flush, 0, 0, 0, 4]);

export class NameWaits {
  readonly #statements: NameTable<Statement>;
  readonly #toTarget: OutputBatch;
  readonly #flushTarget: () => void;
  /** The last forwarded command that (re)defines prepared statements, until answered. */
  #definitions: { done: boolean; settled: Promise<void> } | undefined;

  constructor(statements: NameTable<Statement>, toTarget: OutputBatch, flushTarget: () => void) {
    this.#statements = statements;
    this.#toTarget = toTarget;
    this.#flushTarget = flushTarget;
  }

  /** Marks a forwarded command that may change prepared statements (PREPARE, DEALLOCATE, DISCARD). */
  watch(pending: Pending): void {
    const classification = pending.classification;
    if (!classification?.prepare && !classification?.deallocate) return;
    let resolve!: () => void;
    const barrier = { done: false, settled: new Promise<void>((r) => (resolve = r)) };
    this.#definitions = barrier;
    pending.answered = () => {
      barrier.done = true;
      resolve();
    };
  }

  /** A promise to wait on before a Query, Bind or Execute, or undefined when none is needed. */
  definitionsAnswered(): Promise<void> | undefined {
    const barrier = this.#definitions;
    if (!barrier) return undefined;
    if (barrier.done) {
      this.#definitions = undefined;
      return undefined;
    }
    this.#flushForAnswers();
    return barrier.settled;
  }

  /**
   * When `classification` runs a prepared statement by name (EXECUTE), waits until the target
   * answered every Parse/Close in flight: the statement's meaning may be changing in them.
   */
  statementsAnswered(classification: SqlClassification): Promise<void> | undefined {
    if (!classification.classes.includes('execute')) return undefined;
    const idle = this.#statements.idle();
    if (idle) this.#flushForAnswers();
    return idle;
  }

  /** Waits until an older segment's Parse/Bind/Close was answered, then looks the name up again. */
  async settled<V>(lookup: () => Lookup<V>): Promise<V | undefined> {
    this.#flushTarget();
    for (;;) {
      const result = lookup();
      if (result.ready) return result.value;
      await result.wait;
    }
  }

  /**
   * Sends what is batched plus a Flush, so the target answers everything it was sent even in
   * the middle of a pipeline segment (the client then sees those answers a little early, which
   * the protocol allows: a server may flush at any time).
   */
  #flushForAnswers(): void {
    this.#toTarget.add(FLUSH);
    this.#flushTarget();
  }
}
