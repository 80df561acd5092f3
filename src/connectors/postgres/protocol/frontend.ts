/**
 * Messages the gateway sends to the target (as a PostgreSQL client would).
 * https://www.postgresql.org/docs/current/protocol-message-formats.html
 */

import { FrontendCode, TargetKind } from './message-codes.js';
import { CANCEL_REQUEST_CODE, PROTOCOL_3_0, SSL_REQUEST_CODE } from './startup.js';
import { type Field, message } from './writer.js';

export function startupMessage(params: Readonly<Record<string, string>>): Buffer {
  const fields: Field[] = [{ int32: PROTOCOL_3_0 }];
  for (const [name, value] of Object.entries(params)) {
    fields.push({ cstring: name }, { cstring: value });
  }
  fields.push({ byte: 0 });
  return message(null, fields);
}

export const sslRequest = (): Buffer => message(null, [{ int32: SSL_REQUEST_CODE }]);

export const cancelRequest = (pid: number, secret: Buffer): Buffer =>
  message(null, [{ int32: CANCEL_REQUEST_CODE }, { int32: pid }, { bytes: secret }]);

export const passwordMessage = (password: string): Buffer =>
  message(FrontendCode.PasswordMessage, [{ cstring: password }]);

export const saslInitialResponse = (mechanism: string, data: Buffer): Buffer =>
  message(FrontendCode.PasswordMessage, [
    { cstring: mechanism },
    { int32: data.length },
    { bytes: data },
  ]);

export const saslResponse = (data: Buffer): Buffer =>
  message(FrontendCode.PasswordMessage, [{ bytes: data }]);

export const query = (sql: string): Buffer => message(FrontendCode.Query, [{ cstring: sql }]);

/** Describe of a portal: answered by RowDescription or NoData (or an error). */
export const describePortal = (name: string): Buffer =>
  message(FrontendCode.Describe, [{ byte: TargetKind.Portal }, { cstring: name }]);

/** Describe of a prepared statement: ParameterDescription, then RowDescription or NoData. */
export const describeStatement = (name: string): Buffer =>
  message(FrontendCode.Describe, [{ byte: TargetKind.Statement }, { cstring: name }]);

/** Execute of a portal name no client can create: the target answers with an error (34000). */
export const executeMissingPortal = (): Buffer =>
  message(FrontendCode.Execute, [{ cstring: '\u0001gatehouse refused' }, { int32: 1 }]);

/** Flush: the target sends what it holds for the extended-protocol messages so far. */
export const flush = (): Buffer => message(FrontendCode.Flush, []);

export const terminate = (): Buffer => message(FrontendCode.Terminate, []);

/** Parse of `sql` as statement `name`, with declared parameter type OIDs (0: unspecified). */
export const parse = (name: string, sql: string, types: ReadonlyArray<number>): Buffer =>
  message(FrontendCode.Parse, [
    { cstring: name },
    { cstring: sql },
    { int16: types.length },
    ...types.map((oid) => ({ int32: oid | 0 })),
  ]);

/** Bind of `statement` to `portal`: values as bytes (null: NULL), one format per value. */
export function bind(
  portal: string,
  statement: string,
  formats: ReadonlyArray<number>,
  values: ReadonlyArray<Buffer | null>,
  resultFormats: ReadonlyArray<number>,
): Buffer {
  const fields: Field[] = [{ cstring: portal }, { cstring: statement }, { int16: formats.length }];
  for (const format of formats) fields.push({ int16: format });
  fields.push({ int16: values.length });
  for (const value of values) {
    if (value === null) fields.push({ int32: -1 });
    else fields.push({ int32: value.length }, { bytes: value });
  }
  fields.push({ int16: resultFormats.length });
  for (const format of resultFormats) fields.push({ int16: format });
  return message(FrontendCode.Bind, fields);
}

export const execute = (portal: string, maxRows: number): Buffer =>
  message(FrontendCode.Execute, [{ cstring: portal }, { int32: maxRows }]);

/** Close of a prepared statement (and the portals made from it); no error if there is none. */
export const closeStatement = (name: string): Buffer =>
  message(FrontendCode.Close, [{ byte: TargetKind.Statement }, { cstring: name }]);
