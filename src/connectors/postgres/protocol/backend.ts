/**
 * Messages the gateway itself sends to clients (as a PostgreSQL server would).
 * https://www.postgresql.org/docs/current/protocol-message-formats.html
 */

import { BackendCode } from './message-codes.js';
import { message } from './writer.js';

export const authenticationOk = (): Buffer => message(BackendCode.Authentication, [{ int32: 0 }]);

export const authenticationCleartextPassword = (): Buffer =>
  message(BackendCode.Authentication, [{ int32: 3 }]);

export const backendKeyData = (pid: number, secret: number): Buffer =>
  message(BackendCode.BackendKeyData, [{ int32: pid }, { int32: secret }]);

export const parameterStatus = (name: string, value: string): Buffer =>
  message(BackendCode.ParameterStatus, [{ cstring: name }, { cstring: value }]);

export const readyForQuery = (status: 'I' | 'T' | 'E'): Buffer =>
  message(BackendCode.ReadyForQuery, [{ byte: status.charCodeAt(0) }]);

/** Tells a client asking for 3.x (x > 0) or `_pq_.` options that we speak 3.0 only. */
export const negotiateProtocolVersion = (version: number, unsupported: string[]): Buffer =>
  message(BackendCode.NegotiateProtocolVersion, [
    { int32: version },
    { int32: unsupported.length },
    ...unsupported.map((cstring) => ({ cstring })),
  ]);

/** Single-byte answers to SSLRequest / GSSENCRequest. */
export const SSL_ACCEPT = Buffer.from('S');
export const SSL_REFUSE = Buffer.from('N');
