/**
 * What the classifier learned about one top-level statement, before prepared statements of
 * the session are resolved. Session-independent, so it can be cached by statement text.
 */
export class StatementFacts {
  readonly classes = new Set<string>();
  whereAbsent = false;
  unclassifiable = false;
  /** Names of prepared statements this statement runs (EXECUTE, EXPLAIN ANALYZE EXECUTE, …). */
  readonly executes: string[] = [];
  /** Prepared statements this statement defines, with what they will do. */
  readonly prepares: { name: string; facts: StatementFacts }[] = [];
  /** Prepared statements this statement drops. */
  readonly deallocates: string[] = [];
  deallocateAll = false;
  /**
   * True once a handler looked at the value (or kind) of a constant, e.g. `EXPLAIN (ANALYZE 0)`
   * or `SET … = 64`. A classification that did not is the same for every text of the same shape
   * (only numeric literals changed; see shape.ts) and may be shared. Every
   * handler that reads a constant must call `readConstant()`.
   */
  readsConstant = false;

  add(...classes: string[]): void {
    for (const name of classes) this.classes.add(name);
  }

  readConstant(): void {
    this.readsConstant = true;
  }

  /** Marks the statement as one whose effect the text cannot show. */
  markUnclassifiable(): void {
    this.unclassifiable = true;
    this.classes.add('unclassifiable');
  }

  /**
   * Takes over the classes and flags of `other`, not its prepared-statement bookkeeping (used
   * for bodies of routines, which are unclassifiable anyway).
   */
  absorb(other: StatementFacts): void {
    for (const name of other.classes) this.classes.add(name);
    this.whereAbsent ||= other.whereAbsent;
    this.unclassifiable ||= other.unclassifiable;
    this.readsConstant ||= other.readsConstant;
  }

  /**
   * `read` means a pure read: once a statement does anything else (writes, admin, locks,
   * notifications…) the class is dropped, so `read` never hides a side effect.
   */
  pruneRead(): void {
    if (!this.classes.has('read')) return;
    for (const name of this.classes) {
      if (!READ_COMPATIBLE.has(name)) {
        this.classes.delete('read');
        return;
      }
    }
  }
}

const READ_COMPATIBLE = new Set(['read', 'explain', 'execute', 'copy_to']);
