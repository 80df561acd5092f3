/**
 * Prepared statements and portals by name, as the target will see them.
 *
 * A Parse, Bind or Close takes effect on the target only if it succeeds, and after an error the
 * target skips every message up to the next Sync. So an operation is *staged* when the client
 * sends it and *settled* when the target answers (applied) or skips/rejects it (dropped).
 * Within the Sync segment that staged it, the staged value is what the target will use (if the
 * operation fails, the rest of the segment is skipped too). A later segment must wait for the
 * answer: otherwise a statement whose Parse was skipped could be executed under a name the
 * gateway believes was redefined.
 */
export interface StagedOperation<V> {
  readonly name: string;
  /** The new value, or undefined for a Close. */
  readonly value: V | undefined;
  /** Sync segment the operation was sent in. */
  readonly segment: number;
}

interface Staged<V> extends StagedOperation<V> {
  /** Wake-ups for lookups waiting on this operation; made only when someone waits. */
  waiters?: Array<() => void>;
}

export type Lookup<V> =
  | { ready: true; value: V | undefined }
  | { ready: false; wait: Promise<void> };

export class NameTable<V> {
  readonly #committed = new Map<string, V>();
  readonly #latest = new Map<string, Staged<V>>();
  /** Operations sent but not yet answered, and who waits for none to be left. */
  #unsettled = 0;
  #idleWaiters: Array<() => void> = [];

  /** Records an operation sent to the target in `segment`. */
  stage(name: string, value: V | undefined, segment: number): StagedOperation<V> {
    const op: Staged<V> = { name, value, segment };
    this.#latest.set(name, op);
    this.#unsettled++;
    return op;
  }

  /** Applies (or drops) a staged operation once the target answered it. */
  settle(operation: StagedOperation<V>, applied: boolean): void {
    const op = operation as Staged<V>;
    if (applied) this.commit(op.name, op.value);
    if (this.#latest.get(op.name) === op) this.#latest.delete(op.name);
    if (op.waiters) for (const wake of op.waiters) wake();
    if (--this.#unsettled === 0 && this.#idleWaiters.length > 0) {
      for (const wake of this.#idleWaiters.splice(0)) wake();
    }
  }

  /** Resolves once every staged operation was answered; undefined when none is in flight. */
  idle(): Promise<void> | undefined {
    if (this.#unsettled === 0) return undefined;
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** Sets (or deletes, with undefined) a committed entry directly. */
  commit(name: string, value: V | undefined): void {
    if (value === undefined) this.#committed.delete(name);
    else this.#committed.set(name, value);
  }

  /** What `name` refers to for a message sent in `segment`, or a promise to wait on first. */
  lookup(name: string, segment: number): Lookup<V> {
    const op = this.#latest.get(name);
    if (op === undefined) return { ready: true, value: this.#committed.get(name) };
    if (op.segment === segment) return { ready: true, value: op.value };
    const staged = op;
    return {
      ready: false,
      wait: new Promise<void>((resolve) => {
        staged.waiters ??= [];
        staged.waiters.push(resolve);
      }),
    };
  }

  /** What `name` refers to for a message sent in `segment`; undefined when unknown or not yet settled. */
  peek(name: string, segment: number): V | undefined {
    const op = this.#latest.get(name);
    if (op === undefined) return this.#committed.get(name);
    return op.segment === segment ? op.value : undefined;
  }

  /** True when `name` exists or an operation on it is in flight. */
  known(name: string): boolean {
    return this.#latest.has(name) || this.#committed.has(name);
  }

  /** Forgets every committed entry (portals at transaction end, DEALLOCATE ALL). */
  clearCommitted(): void {
    if (this.#committed.size > 0) this.#committed.clear();
  }

  /** Committed entry, ignoring staged operations. */
  committed(name: string): V | undefined {
    return this.#committed.get(name);
  }
}
