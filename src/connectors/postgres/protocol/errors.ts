/**
 * ErrorResponse / NoticeResponse fields, both directions.
 * https://www.postgresql.org/docs/current/protocol-error-fields.html
 */
import type { GatehouseError, GatehouseErrorCode } from '../../../core/errors.js';
import { BackendCode, ErrorField } from './message-codes.js';
import { type Field, message } from './writer.js';

type ErrorOrNotice = typeof BackendCode.ErrorResponse | typeof BackendCode.NoticeResponse;

export interface PgErrorFields {
  severity: 'ERROR' | 'FATAL' | 'PANIC' | 'WARNING' | 'NOTICE' | 'INFO' | 'LOG' | 'DEBUG';
  code: string;
  message: string;
  detail?: string;
  hint?: string;
}

/** Encodes an ErrorResponse or a NoticeResponse. */
export function errorMessage(
  fields: PgErrorFields,
  type: ErrorOrNotice = BackendCode.ErrorResponse,
): Buffer {
  const out: Field[] = [
    { byte: ErrorField.Severity },
    { cstring: fields.severity },
    { byte: ErrorField.SeverityNonLocalized },
    { cstring: fields.severity },
    { byte: ErrorField.Code },
    { cstring: fields.code },
    { byte: ErrorField.Message },
    { cstring: fields.message },
  ];
  if (fields.detail) out.push({ byte: ErrorField.Detail }, { cstring: fields.detail });
  if (fields.hint) out.push({ byte: ErrorField.Hint }, { cstring: fields.hint });
  out.push({ byte: 0 });
  return message(type, out);
}

/** SQLSTATE the connector sends for each GatehouseError code. */
export const SQLSTATE_BY_CODE: Record<GatehouseErrorCode, string> = {
  token_missing: '28P01',
  token_invalid: '28P01',
  access_denied: '28000',
  policy_denied: '42501',
  approval_pending: '57014',
  approval_timeout: '57014',
  store_unavailable: '58000',
  issuer_unavailable: '08004',
  protocol_violation: '08P01',
  target_unavailable: '08006',
  tls_required: '28000',
  invalid_request: '22023',
  not_found: '42704',
  conflict: '55000',
  internal: 'XX000',
};

/**
 * A GatehouseError as the ErrorResponse the client receives (what `renderError` of the
 * connector module returns, and what the connector itself sends).
 */
export function renderGatehouseError(
  err: GatehouseError,
  severity: 'ERROR' | 'FATAL' = 'ERROR',
): Buffer {
  return errorMessage(gatehouseErrorFields(err, severity));
}

/** Renders a GatehouseError as a Postgres error, carrying its SQLSTATE, rationale and ticket. */
export function gatehouseErrorFields(
  err: GatehouseError,
  severity: 'ERROR' | 'FATAL' = 'ERROR',
): PgErrorFields {
  const { ticketId, rationale, detail, hint } = err.details;
  const text = ticketId ? `${err.message} (ticket ${ticketId})` : err.message;
  const details = [rationale, detail].filter(Boolean).join('\n');
  return {
    severity,
    code: SQLSTATE_BY_CODE[err.code],
    message: `gatehouse: ${text}`,
    detail: details || undefined,
    hint,
  };
}

/** Reads the SQLSTATE, message and severity of an ErrorResponse body (for audit outcomes). */
export function readErrorSummary(body: Buffer): {
  code?: string;
  message: string;
  severity?: string;
} {
  let code: string | undefined;
  let severity: string | undefined;
  let text = '';
  let at = 0;
  while (at < body.length && body[at] !== 0) {
    const field = body[at]!;
    const end = body.indexOf(0, at + 1);
    if (end < 0) break;
    if (field === ErrorField.Code) code = body.toString('utf8', at + 1, end);
    else if (field === ErrorField.Message) text = body.toString('utf8', at + 1, end);
    else if (field === ErrorField.SeverityNonLocalized)
      severity = body.toString('utf8', at + 1, end);
    at = end + 1;
  }
  return { code, message: text, severity };
}

/**
 * An ErrorResponse frame with its routine field ('R') `from` replaced by `to`; the frame itself
 * when it names another routine.
 */
export function withRoutine(frame: Buffer, from: string, to: string): Buffer {
  const needle = Buffer.from(`\0R${from}\0`);
  const at = frame.indexOf(needle, 4);
  if (at < 0) return frame;
  const body = Buffer.concat([
    frame.subarray(5, at + 2),
    Buffer.from(to),
    frame.subarray(at + needle.length - 1),
  ]);
  const head = Buffer.allocUnsafe(5);
  head[0] = frame[0]!;
  head.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([head, body]);
}

/** An error to send as is, for conditions without a GatehouseError code (e.g. 3D000). */
export class PgError extends Error {
  override readonly name = 'PgError';
  readonly fields: PgErrorFields;

  constructor(fields: PgErrorFields) {
    super(fields.message);
    this.fields = fields;
  }
}
