import type { SqlClassification } from './classification.js';

const DEFAULT_MAX_STATEMENTS = 10_000;

/**
 * The prepared statements of one client session, by name, with what each does, so that
 * `EXECUTE p` (and an extended-protocol Execute of a named statement) is classified as what `p`
 * does. SQL `PREPARE` and protocol-level Parse share one namespace in PostgreSQL, as here.
 *
 * PostgreSQL does not roll prepared statements back: a PREPARE or DEALLOCATE that ran stays
 * done even when a later statement of the same command failed. `apply` therefore takes the
 * outcome and, after a failure, remembers both what a name meant before and what it may mean
 * now. Forgetting a name is always safe: EXECUTE of a name not known here is unclassifiable.
 */
export class PreparedStatements {
  readonly #statements = new Map<string, SqlClassification>();
  readonly #max: number;

  constructor(maxStatements = DEFAULT_MAX_STATEMENTS) {
    this.#max = maxStatements;
  }

  get size(): number {
    return this.#statements.size;
  }

  /** What the prepared statement `name` does, or undefined when it is not known. */
  get(name: string): SqlClassification | undefined {
    return this.#statements.get(name);
  }

  /**
   * Records the PREPARE/DEALLOCATE/DISCARD ALL effects of a classified command once the target
   * answered it. With `succeeded = false` a redefined name keeps the union of its old and new
   * meaning (either may be in force on the server), and drops are ignored (a dropped name only
   * makes the server refuse a later EXECUTE).
   */
  apply(classification: SqlClassification, succeeded = true): void {
    if (succeeded) {
      if (classification.deallocate === 'all') this.#statements.clear();
      else for (const name of classification.deallocate ?? []) this.#statements.delete(name);
    }
    for (const { name, classification: prepared } of classification.prepare ?? []) {
      const before = succeeded ? undefined : this.#statements.get(name);
      this.define(name, before ? unionOf(before, prepared) : prepared);
    }
  }

  /** Registers a statement prepared at protocol level (Parse); `''` is the unnamed statement. */
  define(name: string, classification: SqlClassification): void {
    this.#statements.set(name, classification);
    if (this.#statements.size > this.#max) {
      this.#statements.delete(this.#statements.keys().next().value as string);
    }
  }

  /** Forgets a statement closed at protocol level (Close). */
  delete(name: string): void {
    this.#statements.delete(name);
  }

  clear(): void {
    this.#statements.clear();
  }
}

/** A classification that carries everything either input does. */
export function unionOf(a: SqlClassification, b: SqlClassification): SqlClassification {
  return {
    classes: [...new Set([...a.classes, ...b.classes])],
    whereAbsent: a.whereAbsent || b.whereAbsent,
    unclassifiable: a.unclassifiable || b.unclassifiable,
    statementCount: Math.max(a.statementCount, b.statementCount),
  };
}
