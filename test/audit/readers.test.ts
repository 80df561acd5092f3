import { describe, expect, it } from 'vitest';
import { assertAuditReader, auditReaders } from '../../src/audit/read/readers.js';
import { parseConfig } from '../../src/connectors/registry.js';
import type { Identity } from '../../src/core/identity.js';

const config = (extra: string) =>
  parseConfig(
    `identity: { issuers: [{ name: dev, dev: true }] }
reviews: { approvers: [sre] }
connectors:
  - name: pg
    type: postgres
    listen: 127.0.0.1:15432
    target: { host: 127.0.0.1, port: 5432 }
    access: { groups: [agents] }
    rules:
      - { name: r1, when: { statement: [drop_table] }, action: review, review: { approvers: [dba, sre] } }
      - { name: r2, when: { statement: [truncate] }, action: review }
${extra}`,
    'gatehouse.yaml',
  );

const who = (groups: string[]): Identity => ({
  issuer: 'https://dev',
  issuerName: 'dev',
  subject: 'someone',
  groups,
  agent: false,
});

describe('auditReaders', () => {
  it('defaults to every approver group the config names', () => {
    expect(auditReaders(config('')).sort()).toEqual(['dba', 'sre']);
  });

  it('is audit.readers when set, even empty', () => {
    expect(auditReaders(config('audit: { readers: [auditors] }'))).toEqual(['auditors']);
    expect(auditReaders(config('audit: { readers: [] }'))).toEqual([]);
  });
});

describe('assertAuditReader', () => {
  it('admits members of a reader group', () => {
    expect(() => assertAuditReader(who(['dev', 'dba']), ['dba'])).not.toThrow();
  });

  it('refuses everyone else, and everyone when there are no readers (fail closed)', () => {
    expect(() => assertAuditReader(who(['dev']), ['dba'])).toThrow(
      expect.objectContaining({ code: 'access_denied' }),
    );
    expect(() => assertAuditReader(who(['dba']), [])).toThrow(
      expect.objectContaining({
        code: 'access_denied',
        details: { hint: 'no reader groups are configured: set audit.readers' },
      }),
    );
  });
});
