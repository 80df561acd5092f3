/**
 * Errors with stable codes. Every connector renders a GatehouseError in its own wire format
 * (`ConnectorModule.renderError`, which maps each code to the protocol's own error code), the
 * API in one error handler.
 * Programmer and config mistakes stay TypeError/ConfigError and are caught at start.
 */
export type GatehouseErrorCode =
  | 'token_missing'
  | 'token_invalid'
  | 'access_denied'
  | 'policy_denied'
  | 'approval_pending'
  | 'approval_timeout'
  | 'store_unavailable'
  | 'issuer_unavailable'
  | 'protocol_violation'
  | 'target_unavailable'
  | 'tls_required'
  | 'invalid_request'
  | 'not_found'
  | 'conflict'
  | 'internal';

/** HTTP status the API (and HTTP-family connectors) answer with for each code. */
export const HTTP_STATUS_BY_CODE: Record<GatehouseErrorCode, number> = {
  token_missing: 401,
  token_invalid: 401,
  access_denied: 403,
  policy_denied: 403,
  approval_pending: 202,
  approval_timeout: 408,
  store_unavailable: 503,
  issuer_unavailable: 503,
  protocol_violation: 400,
  target_unavailable: 502,
  tls_required: 403,
  invalid_request: 400,
  not_found: 404,
  conflict: 409,
  internal: 500,
};

export interface GatehouseErrorDetails {
  /** Approval ticket the error is about, if any. */
  ticketId?: string;
  /** Name of the rule that produced a decision, if any. */
  rule?: string;
  /** Reviewer's or policy's rationale, shown to the client. */
  rationale?: string;
  /** Extra human-readable detail, shown after the message where the protocol has room for it. */
  detail?: string;
  /** A hint for the user: what to do about the error, where the protocol can show one. */
  hint?: string;
}

export class GatehouseError extends Error {
  readonly code: GatehouseErrorCode;
  readonly details: GatehouseErrorDetails;

  constructor(
    code: GatehouseErrorCode,
    message: string,
    details: GatehouseErrorDetails = {},
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'GatehouseError';
    this.code = code;
    this.details = details;
  }
}

export function isGatehouseError(err: unknown): err is GatehouseError {
  return err instanceof GatehouseError;
}

/** Wraps anything thrown into a GatehouseError without leaking internals to clients. */
export function toGatehouseError(err: unknown): GatehouseError {
  if (err instanceof GatehouseError) return err;
  return new GatehouseError('internal', 'internal gateway error', {}, { cause: err });
}
