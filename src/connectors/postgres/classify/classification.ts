/** What a SQL text does, as far as policy is concerned. Objects returned are frozen. */
export interface SqlClassification {
  /** Statement classes of every statement in the text (see docs/policy.md for the list). */
  readonly classes: ReadonlyArray<string>;
  /** True when some DELETE/UPDATE (also inside a CTE or an executed prepared statement) has no WHERE. */
  readonly whereAbsent: boolean;
  /** True when the text's effect cannot be known from it; `classes` then has `unclassifiable`. */
  readonly unclassifiable: boolean;
  /** Number of top-level statements. */
  readonly statementCount: number;
  /** Prepared statements the text defines, in order, with what each will do when executed. */
  readonly prepare?: ReadonlyArray<{ name: string; classification: SqlClassification }>;
  /** Prepared statements the text drops; `'all'` for DEALLOCATE ALL / DISCARD ALL. */
  readonly deallocate?: ReadonlyArray<string> | 'all';
}
