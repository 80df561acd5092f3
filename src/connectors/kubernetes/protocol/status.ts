/** A GatehouseError as the API server's own error object, a `Status` (what kubectl prints). */
import { type GatehouseError, HTTP_STATUS_BY_CODE } from '../../../core/errors.js';

const REASONS: Record<number, string> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  408: 'Timeout',
  409: 'Conflict',
  413: 'RequestEntityTooLarge',
  500: 'InternalError',
  502: 'ServiceUnavailable',
  503: 'ServiceUnavailable',
};

export interface KubeStatus {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure';
  message: string;
  reason: string;
  code: number;
  details?: { causes: Array<{ reason: string; message: string; field?: string }> };
}

/** The HTTP status and `Status` body for an error. */
export function kubeStatus(error: GatehouseError): KubeStatus {
  const code = error.code === 'approval_pending' ? 403 : HTTP_STATUS_BY_CODE[error.code];
  const { rationale, ticketId, detail, hint, rule } = error.details;
  const parts = [`gatehouse: ${error.message}`];
  if (rationale) parts.push(rationale);
  if (detail) parts.push(detail);
  if (ticketId) parts.push(`ticket ${ticketId}`);
  if (hint) parts.push(`hint: ${hint}`);
  const causes = [
    ...(rule ? [{ reason: 'GatehouseRule', message: rule }] : []),
    ...(ticketId ? [{ reason: 'GatehouseTicket', message: ticketId }] : []),
  ];
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: parts.join('; '),
    reason: REASONS[code] ?? 'InternalError',
    code,
    ...(causes.length > 0 && { details: { causes } }),
  };
}

/** `renderError`: the Status as the JSON body a client receives. */
export function renderStatus(error: GatehouseError): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(kubeStatus(error)));
}
