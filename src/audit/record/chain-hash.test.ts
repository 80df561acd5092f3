import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from './canonical-json.js';
import { type ChainedFields, encodeRecord, GENESIS_HASH, recordHash } from './chain-hash.js';

const fields: ChainedFields = {
  recordedAt: 1_700_000_000_123,
  kind: 'command',
  sessionId: 's-1',
  commandSeq: 3,
  at: 1_700_000_000_100,
  connector: 'pg',
  subject: 'agent "7"',
  decision: 'allow',
  data: canonicalJson({ text: 'select 1', classes: ['read'] }),
};

describe('encodeRecord', () => {
  it('is the RFC 8785 form of the record, data spliced in unparsed', () => {
    const { data, ...rest } = fields;
    expect(encodeRecord(fields)).toBe(canonicalJson({ ...rest, data: JSON.parse(data) }));
    const empty = { ...fields, sessionId: null, commandSeq: null, connector: null, subject: null };
    expect(JSON.parse(encodeRecord({ ...empty, decision: null }))).toMatchObject({
      sessionId: null,
      commandSeq: null,
      decision: null,
    });
  });
});

describe('recordHash', () => {
  it('is sha256 of the previous hash, a newline and the record', () => {
    const expected = createHash('sha256')
      .update(`${GENESIS_HASH}\n${encodeRecord(fields)}`)
      .digest('hex');
    expect(recordHash(GENESIS_HASH, fields)).toBe(expected);
    expect(recordHash(GENESIS_HASH, fields)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('changes with any field and with the link', () => {
    const base = recordHash(GENESIS_HASH, fields);
    expect(recordHash('1'.repeat(64), fields)).not.toBe(base);
    for (const change of [
      { recordedAt: fields.recordedAt + 1 },
      { kind: 'outcome' },
      { sessionId: 's-2' },
      { commandSeq: 4 },
      { at: fields.at + 1 },
      { connector: 'pg2' },
      { subject: 'agent "8"' },
      { decision: 'deny' },
      { data: canonicalJson({ text: 'select 2', classes: ['read'] }) },
    ]) {
      expect(recordHash(GENESIS_HASH, { ...fields, ...change }), JSON.stringify(change)).not.toBe(
        base,
      );
    }
  });
});
