import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { compileMasking, MaskingConfigError } from './compile.js';

const HASH_KEY = 'a-hash-key-of-at-least-16-bytes';

describe('compileMasking: column rules', () => {
  const plan = compileMasking([
    { columns: ['users.email', 'billing.accounts.iban', 'api_token'], strategy: 'redact' },
    { columns: ['users.ssn'], strategy: 'null' },
    { column_pattern: '^(password|secret)', strategy: 'keep_last_2' },
  ]).forIdentity([]).plan;

  it('resolves table.column, schema.table.column and bare column names', () => {
    expect(plan.columnMasker('users', 'email')?.('a@b.io')).toBe('[redacted]');
    expect(plan.columnMasker('public.users', 'email')?.('a@b.io')).toBe('[redacted]');
    expect(plan.columnMasker('billing.accounts', 'iban')?.('x')).toBe('[redacted]');
    expect(plan.columnMasker('other.accounts', 'iban')).toBeUndefined();
    expect(plan.columnMasker('sessions', 'api_token')?.('x')).toBe('[redacted]');
    expect(plan.columnMasker('orders', 'email')).toBeUndefined();
    expect(plan.columnMasker('users', 'name')).toBeUndefined();
  });

  it('compares names case-insensitively', () => {
    expect(plan.columnMasker('Public.USERS', 'Email')?.('x')).toBe('[redacted]');
  });

  it('matches by column name when the table is unknown (computed column)', () => {
    expect(plan.columnMasker(undefined, 'email')?.('x')).toBe('[redacted]');
    expect(plan.columnMasker(undefined, 'name')).toBeUndefined();
  });

  it('makes null cells SQL NULL', () => {
    expect(plan.columnMasker('users', 'ssn')?.('123-45-6789')).toBeNull();
  });

  it('applies column_pattern to the column name, case-insensitively', () => {
    expect(plan.columnMasker('users', 'password_hash')?.('abcdef')).toBe('****ef');
    expect(plan.columnMasker('t', 'SECRET_answer')?.('abcdef')).toBe('****ef');
    expect(plan.columnMasker('t', 'my_password')).toBeUndefined();
  });

  it('returns the same masker for the same column (memoised)', () => {
    expect(plan.columnMasker('users', 'email')).toBe(plan.columnMasker('users', 'email'));
  });

  it('reports column rules and activity', () => {
    expect(plan.active).toBe(true);
    expect(plan.hasColumnRules).toBe(true);
  });
});

describe('compileMasking: rule combinations', () => {
  it('takes the strongest strategy when several rules select a column', () => {
    const plan = compileMasking([
      { columns: ['users.email'], strategy: 'keep_last_4' },
      { column_pattern: 'mail', strategy: 'redact' },
    ]).forIdentity([]).plan;
    expect(plan.columnMasker('users', 'email')?.('ann@corp.example')).toBe('[redacted]');
  });

  it('scopes detectors listed with columns to those columns, on top of the global ones', () => {
    const plan = compileMasking([
      { columns: ['tickets.body'], detectors: ['phone'], strategy: 'redact' },
      { detectors: ['email'], strategy: 'redact' },
    ]).forIdentity([]).plan;
    const body = plan.columnMasker('tickets', 'body');
    expect(body?.('call +44 20 7946 0958 or ann@x.io')).toBe(
      'call [redacted:phone] or [redacted:email]',
    );
    expect(plan.columnMasker('tickets', 'title')).toBeUndefined();
    expect(plan.maskText('call +44 20 7946 0958 or ann@x.io')).toBe(
      'call +44 20 7946 0958 or [redacted:email]',
    );
    expect(plan.hasColumnRules).toBe(true);
  });

  it('runs detectors over text with no column rule', () => {
    const plan = compileMasking([{ detectors: ['email', 'jwt'], strategy: 'redact' }]).forIdentity(
      [],
    ).plan;
    expect(plan.hasColumnRules).toBe(false);
    expect(plan.columnMasker('users', 'email')).toBeUndefined();
    expect(plan.maskText('mail ann@x.io')).toBe('mail [redacted:email]');
  });

  it('uses custom detectors by name', () => {
    const plan = compileMasking([{ detectors: ['employee_id'], strategy: 'keep_last_3' }], {
      custom: { employee_id: 'EMP-\\d{6}' },
    }).forIdentity([]).plan;
    expect(plan.maskText('owner EMP-123456.')).toBe('owner ***-***456.');
  });
});

describe('compileMasking: hash', () => {
  const rules = [
    { columns: ['users.email'], strategy: 'hash' },
    { detectors: ['email'], strategy: 'hash' },
  ];

  it('is deterministic with a key and differs with another key', () => {
    const a = compileMasking(rules, { hashKey: HASH_KEY }).forIdentity([]).plan;
    const again = compileMasking(rules, { hashKey: HASH_KEY }).forIdentity([]).plan;
    const other = compileMasking(rules, { hashKey: `${HASH_KEY}-rotated` }).forIdentity([]).plan;
    const cell = a.columnMasker('users', 'email')!('ann@corp.example');
    expect(cell).toMatch(/^h:[0-9a-f]{16}$/);
    expect(again.columnMasker('users', 'email')!('ann@corp.example')).toBe(cell);
    expect(other.columnMasker('users', 'email')!('ann@corp.example')).not.toBe(cell);
    // The same value hashes the same in a cell and inside text, so masked data still joins.
    expect(a.maskText('from ann@corp.example')).toBe(`from ${cell}`);
    expect(cell).toBe(
      `h:${createHmac('sha256', HASH_KEY).update('ann@corp.example').digest('hex').slice(0, 16)}`,
    );
  });
});

describe('compileMasking: exemptions', () => {
  const plan = compileMasking([
    { columns: ['users.ssn'], strategy: 'redact', exempt_groups: ['compliance'] },
    { detectors: ['email'], strategy: 'redact', exempt_groups: ['support', 'compliance'] },
    { detectors: ['jwt'], strategy: 'redact' },
  ]);

  it('leaves exempted rules out and lists them for the audit record', () => {
    const { plan: support, exemptions } = plan.forIdentity(['staff', 'support']);
    expect(exemptions).toEqual(['masking[1] (detectors email; redact)']);
    expect(support.maskText('ann@x.io')).toBe('ann@x.io');
    expect(support.columnMasker('users', 'ssn')?.('1')).toBe('[redacted]');
  });

  it('lists every exempted rule', () => {
    const { plan: compliance, exemptions } = plan.forIdentity(['compliance']);
    expect(exemptions).toEqual([
      'masking[0] (columns users.ssn; redact)',
      'masking[1] (detectors email; redact)',
    ]);
    expect(compliance.columnMasker('users', 'ssn')).toBeUndefined();
    expect(compliance.hasColumnRules).toBe(false);
    expect(compliance.active).toBe(true);
  });

  it('exempts nothing for other groups and shares maskers between equal exemption sets', () => {
    const a = plan.forIdentity(['dev']);
    const b = plan.forIdentity([]);
    expect(a.exemptions).toEqual([]);
    expect(a.plan).toBe(b.plan);
    expect(a.plan.maskText('ann@x.io')).toBe('[redacted:email]');
  });

  it('is inactive when every rule is exempted or none is configured', () => {
    const only = compileMasking([
      { detectors: ['email'], strategy: 'redact', exempt_groups: ['dba'] },
    ]);
    const { plan: dba } = only.forIdentity(['dba']);
    expect(dba.active).toBe(false);
    expect(dba.maskText('ann@x.io')).toBe('ann@x.io');
    expect(compileMasking([]).forIdentity([]).plan.active).toBe(false);
  });
});

describe('compileMasking: config errors', () => {
  it('lists every problem by key path', () => {
    let error: unknown;
    try {
      compileMasking(
        [
          { detectors: ['email', 'credit_card'], strategy: 'redact' },
          { strategy: 'redact' },
          { columns: ['a.b.c.d', 'users.'], strategy: 'hash' },
          { column_pattern: '(', strategy: 'keep_last_99999' },
        ],
        { hashKey: 'short', custom: { email: 'x', bad: '(a+)+', empty: 'x?' } },
      );
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(MaskingConfigError);
    expect(error).toBeInstanceOf(TypeError);
    const paths = (error as MaskingConfigError).issues.map((issue) => issue.path);
    expect(paths).toEqual([
      'masking.custom.email',
      'masking.custom.bad',
      'masking.custom.empty',
      'masking.hash_key',
      'masking[0].detectors[1]',
      'masking[1]',
      'masking[2].columns[0]',
      'masking[2].columns[1]',
      'masking[3].strategy',
      'masking[3].column_pattern',
    ]);
    expect((error as Error).message).toContain(
      'masking[0].detectors[1]: unknown detector "credit_card"',
    );
  });

  it('requires a hash key for strategy hash', () => {
    expect(() => compileMasking([{ detectors: ['email'], strategy: 'hash' }])).toThrow(
      /needs masking.hash_key/,
    );
  });
});
