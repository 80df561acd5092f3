import { describe, expect, it } from 'vitest';
import type { Identity } from '../core/identity.js';
import { safeReturnPath, sessionMaxAge } from './sign-in.js';

const identity = (expiresAt?: number): Identity => ({
  issuer: 'i',
  issuerName: 'i',
  subject: 's',
  groups: [],
  agent: false,
  expiresAt,
});

describe('sign-in', () => {
  it('returns only to paths on this origin', () => {
    expect(safeReturnPath('/#/approvals/tkt_1')).toBe('/#/approvals/tkt_1');
    expect(safeReturnPath('/')).toBe('/');
    for (const hostile of [
      '//evil.example/',
      '/\\evil.example',
      'https://evil.example/',
      'javascript:alert(1)',
      '/\u0000x',
      '/x\ny',
      undefined,
      42,
      `/${'a'.repeat(600)}`,
    ]) {
      expect(safeReturnPath(hostile)).toBe('/');
    }
  });

  it('never lets a session outlive its token, nor run longer than 12 hours', () => {
    const now = 1_000_000_000_000;
    expect(sessionMaxAge(identity(now / 1000 + 600), now)).toBe(600);
    expect(sessionMaxAge(identity(now / 1000 + 86_400), now)).toBe(12 * 3600);
    expect(sessionMaxAge(identity(now / 1000 - 5), now)).toBe(0);
    expect(sessionMaxAge(identity(undefined), now)).toBe(3600);
  });
});
