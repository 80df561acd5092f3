/**
 * Message type bytes by name (the first byte of every message after startup), and the codes
 * carried inside some messages.
 * https://www.postgresql.org/docs/current/protocol-message-formats.html
 * https://www.postgresql.org/docs/current/protocol-error-fields.html
 */

/** Messages a client sends (marked F in the spec). */
export const FrontendCode = {
  Bind: 0x42, // 'B'
  Close: 0x43, // 'C'
  CopyData: 0x64, // 'd'
  CopyDone: 0x63, // 'c'
  CopyFail: 0x66, // 'f'
  Describe: 0x44, // 'D'
  Execute: 0x45, // 'E'
  Flush: 0x48, // 'H'
  FunctionCall: 0x46, // 'F'
  Parse: 0x50, // 'P'
  /** Also GSSResponse, SASLInitialResponse and SASLResponse: the context tells them apart. */
  PasswordMessage: 0x70, // 'p'
  Query: 0x51, // 'Q'
  Sync: 0x53, // 'S'
  Terminate: 0x58, // 'X'
} as const;

/** Messages a server sends (marked B in the spec). */
export const BackendCode = {
  /** AuthenticationOk, AuthenticationSASL, … (the first Int32 of the body tells which). */
  Authentication: 0x52, // 'R'
  BackendKeyData: 0x4b, // 'K'
  BindComplete: 0x32, // '2'
  CloseComplete: 0x33, // '3'
  CommandComplete: 0x43, // 'C'
  CopyData: 0x64, // 'd'
  CopyDone: 0x63, // 'c'
  CopyInResponse: 0x47, // 'G'
  CopyOutResponse: 0x48, // 'H'
  CopyBothResponse: 0x57, // 'W'
  DataRow: 0x44, // 'D'
  EmptyQueryResponse: 0x49, // 'I'
  ErrorResponse: 0x45, // 'E'
  FunctionCallResponse: 0x56, // 'V'
  NegotiateProtocolVersion: 0x76, // 'v'
  NoData: 0x6e, // 'n'
  NoticeResponse: 0x4e, // 'N'
  NotificationResponse: 0x41, // 'A'
  ParameterDescription: 0x74, // 't'
  ParameterStatus: 0x53, // 'S'
  ParseComplete: 0x31, // '1'
  PortalSuspended: 0x73, // 's'
  ReadyForQuery: 0x5a, // 'Z'
  RowDescription: 0x54, // 'T'
} as const;

/** The transaction status a ReadyForQuery carries. */
export const TransactionStatus = {
  Idle: 0x49, // 'I'
  InBlock: 0x54, // 'T'
  Failed: 0x45, // 'E'
} as const;

/** What Describe and Close name: a prepared statement or a portal. */
export const TargetKind = {
  Statement: 0x53, // 'S'
  Portal: 0x50, // 'P'
} as const;

/** The answer to SSLRequest that lets TLS begin ('N' refuses it). */
export const SSL_ACCEPTED = 0x53; // 'S'

/** Field types of ErrorResponse and NoticeResponse. */
export const ErrorField = {
  Severity: 0x53, // 'S' (localized)
  SeverityNonLocalized: 0x56, // 'V'
  Code: 0x43, // 'C' (SQLSTATE)
  Message: 0x4d, // 'M'
  Detail: 0x44, // 'D'
  Hint: 0x48, // 'H'
  Position: 0x50, // 'P'
  InternalPosition: 0x70, // 'p'
  InternalQuery: 0x71, // 'q'
  Where: 0x57, // 'W'
  Schema: 0x73, // 's'
  Table: 0x74, // 't'
  Column: 0x63, // 'c'
  DataType: 0x64, // 'd'
  Constraint: 0x6e, // 'n'
  File: 0x46, // 'F'
  Line: 0x4c, // 'L'
  Routine: 0x52, // 'R'
} as const;
