import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  SqlTicketRepository,
  type TicketTables,
} from '../../src/approvals/sql-ticket-repository.js';
import type { Ticket, TicketDecision } from '../../src/approvals/ticket.js';
import { agent, alice, type OpenedStore, STORE_KINDS } from './service-fixture.js';

const T0 = Date.parse('2030-06-01T12:00:00Z');
let counter = 0;

function ticket(overrides: Partial<Ticket> = {}): Ticket {
  const n = ++counter;
  return {
    id: `tkt_repo${String(n).padStart(6, '0')}`,
    connector: 'pg',
    requester: agent,
    command: `DROP TABLE t${n}`,
    classes: ['ddl', 'drop_table'],
    rule: 'destructive',
    approvers: ['dba'],
    approvalsRequired: 1,
    scope: 'command',
    status: 'pending',
    createdAt: T0 + n,
    expiresAt: T0 + 3_600_000,
    decisions: [],
    fingerprint: `fp-${n}`,
    ...overrides,
  };
}

/** As stored: JSON keeps no `undefined` members (the reviewer has no name). */
const REVIEWER = { issuer: alice.issuer, subject: alice.subject, groups: alice.groups };

const approval = (at: number): TicketDecision => ({
  reviewer: REVIEWER,
  action: 'approve',
  at,
});

describe.each(STORE_KINDS)('SqlTicketRepository on a $name store', (kind) => {
  let opened: OpenedStore;
  let repo: SqlTicketRepository;

  beforeAll(async () => {
    opened = await kind.open();
    repo = new SqlTicketRepository(opened.store.db.withTables<TicketTables>());
  });
  afterAll(async () => {
    await opened?.drop();
  });

  it('stores and reads back every field, optional ones absent when unset', async () => {
    const full = ticket({
      params: ['1', null, 'ü'],
      scope: 'grant',
      grantMs: 3_600_000,
      status: 'approved',
      decisions: [{ ...approval(T0 + 5), rationale: 'fine' }],
      executedCommand: 'DROP TABLE x',
      grantExpiresAt: T0 + 7_200_000,
      revokedAt: T0 + 100,
      usedAt: T0 + 50,
      // Beyond 2^31 and 2^32: bigint columns must come back as exact numbers.
      expiresAt: 8_640_000_000_000,
    });
    const minimal = ticket();
    await repo.insert(full);
    await repo.insert(minimal);
    expect(await repo.get(full.id)).toEqual(full);
    expect(await repo.get(minimal.id)).toEqual(minimal);
    expect(await repo.get('tkt_missing')).toBeUndefined();
  });

  it('lists newest first, filtered by status and connector, limited', async () => {
    const connector = `list-${counter}`;
    const made = [
      ticket({ connector }),
      ticket({ connector, status: 'denied' }),
      ticket({ connector }),
    ];
    for (const t of made) await repo.insert(t);
    const all = await repo.list({ connector });
    expect(all.map((t) => t.id)).toEqual([made[2]!.id, made[1]!.id, made[0]!.id]);
    const pending = await repo.list({ connector, status: 'pending' });
    expect(pending.map((t) => t.id)).toEqual([made[2]!.id, made[0]!.id]);
    expect((await repo.list({ connector, limit: 1 })).map((t) => t.id)).toEqual([made[2]!.id]);
  });

  it('finds the newest ticket of a fingerprint', async () => {
    const older = ticket({ fingerprint: 'same', status: 'denied' });
    const newer = ticket({ fingerprint: 'same' });
    await repo.insert(newer);
    await repo.insert(older);
    expect((await repo.latestByFingerprint('same'))?.id).toBe(newer.id);
    expect(await repo.latestByFingerprint('nothing')).toBeUndefined();
  });

  it('saveReview is a compare-and-set on the decision count of a pending ticket', async () => {
    const t = ticket({ approvalsRequired: 2 });
    await repo.insert(t);
    const first = { ...t, decisions: [approval(T0 + 1)] };
    expect(await repo.saveReview(first, 0)).toBe(true);
    // A reviewer who read the ticket before that decision loses.
    expect(await repo.saveReview({ ...t, decisions: [approval(T0 + 2)] }, 0)).toBe(false);
    const second = {
      ...first,
      status: 'modified' as const,
      decisions: [...first.decisions, { ...approval(T0 + 3), action: 'modify' as const }],
      executedCommand: 'DROP TABLE narrower',
    };
    expect(await repo.saveReview(second, 1)).toBe(true);
    expect(await repo.get(t.id)).toEqual(second);
    // Decided tickets are final.
    expect(await repo.saveReview({ ...second, status: 'denied' }, 2)).toBe(false);
    expect((await repo.get(t.id))?.status).toBe('modified');
  });

  it('consume hands an approved command ticket to exactly one of many callers', async () => {
    const t = ticket({ status: 'approved', decisions: [approval(T0)] });
    await repo.insert(t);
    const results = await Promise.all(Array.from({ length: 8 }, () => repo.consume(t.id, T0 + 10)));
    expect(results.filter(Boolean)).toHaveLength(1);
    expect((await repo.get(t.id))?.usedAt).toBe(T0 + 10);
    expect(await repo.consume(t.id, T0 + 11)).toBe(false);
  });

  it('consume refuses pending, denied, expired-by-time and grant tickets', async () => {
    const cases = [
      ticket(),
      ticket({ status: 'denied' }),
      ticket({ status: 'approved', expiresAt: T0 + 10 }),
      ticket({ status: 'approved', scope: 'grant', grantExpiresAt: T0 + 1000 }),
    ];
    for (const t of cases) await repo.insert(t);
    for (const t of cases) expect(await repo.consume(t.id, T0 + 10), t.status).toBe(false);
    const modified = ticket({ status: 'modified', executedCommand: 'SELECT 1' });
    await repo.insert(modified);
    expect(await repo.consume(modified.id, T0 + 10)).toBe(true);
  });

  it('revokeGrant ends an active grant once, appending the decision', async () => {
    const grant = ticket({
      status: 'approved',
      scope: 'grant',
      grantMs: 1000,
      grantExpiresAt: T0 + 1000,
      decisions: [approval(T0)],
    });
    await repo.insert(grant);
    const revoke: TicketDecision = {
      reviewer: REVIEWER,
      action: 'revoke',
      rationale: 'done',
      at: T0 + 10,
    };
    expect(await repo.revokeGrant(grant.id, T0 + 10, revoke)).toBe(true);
    expect(await repo.get(grant.id)).toMatchObject({
      revokedAt: T0 + 10,
      grantExpiresAt: T0 + 10,
      decisions: [approval(T0), revoke],
    });
    expect(await repo.revokeGrant(grant.id, T0 + 11, revoke)).toBe(false);

    const lapsed = ticket({ status: 'approved', scope: 'grant', grantExpiresAt: T0 + 5 });
    const pendingGrant = ticket({ scope: 'grant' });
    const command = ticket({ status: 'approved' });
    for (const t of [lapsed, pendingGrant, command]) {
      await repo.insert(t);
      expect(await repo.revokeGrant(t.id, T0 + 10, revoke)).toBe(false);
    }
    expect(await repo.revokeGrant('tkt_missing', T0, revoke)).toBe(false);
  });

  it('expirePending marks only pending tickets at or past their expiry', async () => {
    const due = T0 + 50_000_000;
    const overdue = ticket({ expiresAt: due - 1 });
    const exactly = ticket({ expiresAt: due });
    const later = ticket({ expiresAt: due + 1 });
    const decided = ticket({ expiresAt: due - 1, status: 'approved' });
    for (const t of [overdue, exactly, later, decided]) await repo.insert(t);
    const expired = await repo.expirePending(due);
    expect(expired).toEqual(expect.arrayContaining([overdue.id, exactly.id]));
    expect(expired).not.toContain(later.id);
    expect(expired).not.toContain(decided.id);
    expect((await repo.get(overdue.id))?.status).toBe('expired');
    expect((await repo.get(later.id))?.status).toBe('pending');
    expect((await repo.get(decided.id))?.status).toBe('approved');
    expect(await repo.expirePending(due)).toEqual([]);
  });
});
