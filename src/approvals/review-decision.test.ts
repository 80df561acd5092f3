import { describe, expect, it } from 'vitest';
import type { Identity } from '../core/identity.js';
import { applyReview, ineligibility } from './review-decision.js';
import type { Reviewer, Ticket } from './ticket.js';

const requester: Identity = {
  issuer: 'https://idp',
  issuerName: 'idp',
  subject: 'agent-1',
  groups: ['agents'],
  agent: true,
};
const reviewer = (subject: string, groups = ['dba']): Reviewer => ({
  issuer: 'https://idp',
  subject,
  groups,
});

function ticket(overrides: Partial<Ticket> = {}): Ticket {
  return {
    id: 'tkt_1',
    connector: 'pg',
    requester,
    command: 'DROP TABLE orders',
    classes: ['ddl', 'drop_table', 'write'],
    rule: 'destructive',
    approvers: ['dba'],
    approvalsRequired: 1,
    scope: 'command',
    status: 'pending',
    createdAt: 1000,
    expiresAt: 100_000,
    decisions: [],
    fingerprint: 'f',
    ...overrides,
  };
}

describe('applyReview', () => {
  it('approves with one eligible reviewer', () => {
    const next = applyReview(ticket(), {
      reviewer: reviewer('alice'),
      action: 'approve',
      now: 2000,
    });
    expect(next.status).toBe('approved');
    expect(next.decisions).toHaveLength(1);
  });

  it('refuses self-approval even when the requester is in the approver group', () => {
    const self = { issuer: requester.issuer, subject: requester.subject, groups: ['dba'] };
    expect(() => applyReview(ticket(), { reviewer: self, action: 'approve', now: 2000 })).toThrow(
      /own ticket/,
    );
  });

  it('treats the same subject from another issuer as another person', () => {
    const other = { issuer: 'https://other-idp', subject: requester.subject, groups: ['dba'] };
    expect(applyReview(ticket(), { reviewer: other, action: 'approve', now: 2000 }).status).toBe(
      'approved',
    );
  });

  it('refuses reviewers outside the approver groups', () => {
    expect(() =>
      applyReview(ticket(), {
        reviewer: reviewer('bob', ['developers']),
        action: 'approve',
        now: 2000,
      }),
    ).toThrow(/must be in one of: dba/);
  });

  it('needs N distinct reviewers for approvals: N', () => {
    const t = ticket({ approvalsRequired: 2 });
    const once = applyReview(t, { reviewer: reviewer('alice'), action: 'approve', now: 2000 });
    expect(once.status).toBe('pending');
    expect(() =>
      applyReview(once, { reviewer: reviewer('alice'), action: 'approve', now: 2001 }),
    ).toThrow(/already approved/);
    const twice = applyReview(once, { reviewer: reviewer('carol'), action: 'approve', now: 2002 });
    expect(twice.status).toBe('approved');
  });

  it('denies with one reviewer and requires a rationale', () => {
    expect(() =>
      applyReview(ticket(), { reviewer: reviewer('alice'), action: 'deny', now: 2000 }),
    ).toThrow(/rationale/);
    const denied = applyReview(ticket({ approvalsRequired: 3 }), {
      reviewer: reviewer('alice'),
      action: 'deny',
      rationale: 'not during business hours',
      now: 2000,
    });
    expect(denied.status).toBe('denied');
  });

  it('modify replaces the command, needs a rationale, and resets earlier approvals', () => {
    const t = ticket({ approvalsRequired: 2 });
    const approved = applyReview(t, { reviewer: reviewer('alice'), action: 'approve', now: 2000 });
    const modified = applyReview(approved, {
      reviewer: reviewer('carol'),
      action: 'modify',
      command: 'DROP TABLE orders_old',
      rationale: 'wrong table',
      now: 2001,
    });
    expect(modified.status).toBe('pending');
    expect(modified.executedCommand).toBe('DROP TABLE orders_old');
    const final = applyReview(modified, {
      reviewer: reviewer('alice'),
      action: 'approve',
      now: 2002,
    });
    expect(final.status).toBe('modified');
  });

  it('refuses decisions on expired or decided tickets', () => {
    expect(() =>
      applyReview(ticket(), { reviewer: reviewer('alice'), action: 'approve', now: 100_000 }),
    ).toThrow(/expired/);
    expect(() =>
      applyReview(ticket({ status: 'denied' }), {
        reviewer: reviewer('alice'),
        action: 'approve',
        now: 2000,
      }),
    ).toThrow(/denied/);
  });

  it('starts a grant clock on approval and refuses to modify a grant', () => {
    const grant = ticket({ scope: 'grant', grantMs: 3_600_000 });
    expect(
      applyReview(grant, { reviewer: reviewer('alice'), action: 'approve', now: 5000 })
        .grantExpiresAt,
    ).toBe(3_605_000);
    expect(() =>
      applyReview(grant, {
        reviewer: reviewer('alice'),
        action: 'modify',
        command: 'x',
        rationale: 'r',
        now: 5000,
      }),
    ).toThrow(/grant cannot be modified/);
  });

  it('explains ineligibility without throwing', () => {
    expect(ineligibility(ticket(), reviewer('alice'), 2000)).toBeUndefined();
    expect(ineligibility(ticket(), reviewer('x', []), 2000)).toMatch(/dba/);
  });
});
