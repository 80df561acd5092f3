import { hash } from 'node:crypto';

/** What the first record of a chain links to: 64 zeros. */
export const GENESIS_HASH = '0'.repeat(64);

/** The hashed fields of one audit record, as stored (see AuditEventsTable). */
export interface ChainedFields {
  recordedAt: number;
  kind: string;
  sessionId: string | null;
  commandSeq: number | null;
  at: number;
  connector: string | null;
  subject: string | null;
  decision: string | null;
  /** Canonical JSON text (canonicalJson) of the event's own fields. */
  data: string;
}

/**
 * The record as canonical JSON (RFC 8785): `{at, commandSeq, connector, data, decision, kind,
 * recordedAt, sessionId, subject}`, keys in that (sorted) order, nulls kept. `data` is spliced
 * in as stored, which is already canonical, so nothing is parsed on the hot path.
 * The position (`seq`) is not hashed: order is carried by `prev_hash`, and the chain head row
 * pins the last position.
 */
export function encodeRecord(fields: ChainedFields): string {
  return (
    `{"at":${fields.at},"commandSeq":${fields.commandSeq ?? 'null'}` +
    `,"connector":${text(fields.connector)},"data":${fields.data}` +
    `,"decision":${text(fields.decision)},"kind":${text(fields.kind)}` +
    `,"recordedAt":${fields.recordedAt},"sessionId":${text(fields.sessionId)}` +
    `,"subject":${text(fields.subject)}}`
  );
}

/** `hex(sha256(prevHash + "\n" + encodeRecord(fields)))`. */
export function recordHash(prevHash: string, fields: ChainedFields): string {
  // The one-shot hash costs half of createHash().update().digest() for a record this size.
  return hash('sha256', `${prevHash}\n${encodeRecord(fields)}`, 'hex');
}

function text(value: string | null): string {
  return value === null ? 'null' : JSON.stringify(value);
}
