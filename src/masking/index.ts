/**
 * Masking core: detectors and strategies applied to values, protocol-neutral. Connectors call
 * it per result cell, COPY line and error detail; see docs/masking.md.
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
export type { Detector, Span, Strategy } from './types.js';
