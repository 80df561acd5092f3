/**
 * Masking core: detectors and strategies applied to values, protocol-neutral. Rules name
 * columns (`[schema.][table.]column`, a column pattern); each connector resolves which column
 * a value belongs to and calls the session's masker per value, text stream line and message;
 * see docs/masking.md.
 */
export {
  compileMasking,
  MaskingConfigError,
  type MaskingPlan,
  type MaskingShared,
} from './compile.js';
export type { MaskingIssue } from './compiled-rule.js';
export { BUILTIN_DETECTORS } from './detectors/index.js';
export type { ColumnMaskFn, SessionMasker } from './session-masker.js';
export { REDACTED } from './strategies.js';
export type { Detector, Span, Strategy } from './types.js';
