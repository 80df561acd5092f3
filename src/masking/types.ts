/** A half-open range `[start, end)` of UTF-16 code units in a scanned string. */
export interface Span {
  start: number;
  end: number;
}

/**
 * Finds sensitive values in free text. Detectors are pure and synchronous; `find` appends the
 * spans it validated (checksum, structure) to `out` in any order — overlaps are merged later.
 */
export interface Detector {
  /** The name rules refer to, e.g. `email`; also the label in `[redacted:<name>]`. */
  readonly name: string;
  /**
   * Regex source (no flags) that matches somewhere in every text in which `find` would report
   * a span; the masker ORs these into one pre-check and skips all detectors when it fails.
   * `null` means the detector has no cheap pre-check and always runs (custom patterns).
   */
  readonly hint: string | null;
  find(text: string, out: Span[]): void;
}

/** How a matched value is replaced. */
export type Strategy =
  | { readonly kind: 'redact' }
  | { readonly kind: 'null' }
  | { readonly kind: 'hash' }
  | { readonly kind: 'keep_last'; readonly n: number };
