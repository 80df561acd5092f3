import { describe, expect, it } from 'vitest';
import { compileMasking } from '../../../masking/index.js';
import { maskErrorDetail } from './error-detail.js';

describe('maskErrorDetail', () => {
  const plan = compileMasking(
    [
      { columns: ['users.api_code'], strategy: 'keep_last_2' },
      { columns: ['users.nickname', 'accounts.owner'], strategy: 'redact' },
      { detectors: ['email'], strategy: 'redact' },
    ],
    {},
  ).forIdentity([]).plan;
  const masked = (detail: string, table?: string) => maskErrorDetail(detail, table, plan);

  it('applies the column rule to a unique-violation key value', () => {
    expect(masked('Key (api_code)=(XK-99120) already exists.', 'public.users')).toBe(
      'Key (api_code)=(**-***20) already exists.',
    );
  });

  it('redacts a multi-column key when any of its columns has a rule', () => {
    expect(masked('Key (org_id, nickname)=(4, zed) already exists.', 'public.users')).toBe(
      'Key (org_id, nickname)=([redacted]) already exists.',
    );
  });

  it('handles foreign-key and exclusion-constraint details', () => {
    expect(
      masked('Key (owner)=(mallory) is not present in table "people".', 'public.accounts'),
    ).toBe('Key (owner)=([redacted]) is not present in table "people".');
    expect(
      masked('Key (owner)=(a) conflicts with existing key (owner)=(b).', 'public.accounts'),
    ).toBe('Key (owner)=([redacted]) conflicts with existing key (owner)=([redacted]).');
  });

  it('does not let a crafted value fake the end of the detail', () => {
    const detail = 'Key (nickname)=(x) already exists. secret) already exists.';
    expect(masked(detail, 'users')).toBe('Key (nickname)=([redacted]) already exists.');
  });

  it('redacts a failing row of a table with column rules', () => {
    expect(masked('Failing row contains (1, zed, XK-99120).', 'public.users')).toBe(
      'Failing row contains ([redacted]).',
    );
    expect(masked('Failing row contains (1, ann@x.io).', 'public.orders')).toBe(
      'Failing row contains (1, [redacted:email]).',
    );
  });

  it('runs the detectors over details without column rules', () => {
    expect(masked('Key (email)=(a@b.com) already exists.', 'users')).toBe(
      'Key (email)=([redacted:email]) already exists.',
    );
    expect(masked('Key (id)=(7) already exists.', 'users')).toBe('Key (id)=(7) already exists.');
  });
});
