import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  agent,
  alice,
  bob,
  carol,
  holdRequest,
  identityFor,
  ManualClock,
  mallory,
  type OpenedStore,
  rejection,
  type ServiceUnderTest,
  STORE_KINDS,
  serviceOn,
  startHold,
} from './service-fixture.js';

const HOUR = 3_600_000;

/** Resolves true when `promise` is still unsettled after `ms`. */
async function stillPending(promise: Promise<unknown>, ms = 100): Promise<boolean> {
  const marker = Symbol('pending');
  const winner = await Promise.race([
    promise.then(
      () => 'settled',
      () => 'settled',
    ),
    new Promise((resolve) => setTimeout(() => resolve(marker), ms)),
  ]);
  return winner === marker;
}

describe.each(STORE_KINDS)('ApprovalService on a $name store', (kind) => {
  let opened: OpenedStore;
  let clock: ManualClock;
  let sut: ServiceUnderTest;
  let seq = 0;
  /** A command text no other test uses, so tickets never collide across tests. */
  const unique = (what = 'DROP TABLE t') => `${what}_${++seq}`;

  beforeAll(async () => {
    opened = await kind.open();
    clock = new ManualClock();
    sut = serviceOn(opened.store, clock);
  });
  afterAll(async () => {
    await opened?.drop();
  });

  describe('holding', () => {
    it('opens a pending ticket recording the request, tells the client where it waits', async () => {
      const text = unique();
      const request = holdRequest(text, { params: ['1', null] });
      const { ticket, url, outcome } = await startHold(sut.service, request);

      expect(url).toBe(`https://gatehouse.example/#/approvals/${ticket.id}`);
      expect(ticket.id).toMatch(/^tkt_[a-z2-9]{10}$/);
      const stored = await sut.service.get(ticket.id);
      expect(stored).toMatchObject({
        connector: 'pg',
        requester: agent,
        command: text,
        params: ['1', null],
        classes: ['ddl', 'drop_table', 'write'],
        rule: 'destructive',
        approvers: ['dba'],
        approvalsRequired: 1,
        scope: 'command',
        status: 'pending',
        createdAt: clock.now(),
        expiresAt: clock.now() + HOUR,
        decisions: [],
      });
      expect(sut.events.filter((e) => e.ticket.id === ticket.id).map((e) => e.type)).toEqual([
        'ticket.created',
      ]);
      expect(await stillPending(outcome)).toBe(true);
      await sut.service.review(ticket.id, alice, 'approve');
      await outcome;
    });

    it('falls back to the configured defaults for approvers, timeout and wait', async () => {
      const service = serviceOn(opened.store, clock, undefined, {
        timeoutMs: 2 * HOUR,
        waitMs: 80,
        approvers: ['oncall'],
      }).service;
      const request = holdRequest(unique());
      request.decision = { action: 'review', rule: 'r', reason: 'r', review: { approvals: 1 } };
      const { ticket, outcome } = await startHold(service, request);
      expect(ticket.approvers).toEqual(['oncall']);
      expect(ticket.expiresAt).toBe(clock.now() + 2 * HOUR);
      expect((await rejection(outcome)).code).toBe('approval_timeout');
    });

    it('attaches a retry while pending to the same ticket instead of opening another', async () => {
      const text = unique();
      const first = await startHold(sut.service, holdRequest(text, { review: { wait: 60 } }));
      expect((await rejection(first.outcome)).code).toBe('approval_timeout');
      const retry = await startHold(sut.service, holdRequest(text));
      expect(retry.ticket.id).toBe(first.ticket.id);
      const all = await sut.service.list({ status: 'pending' });
      expect(all.filter((t) => t.command === text)).toHaveLength(1);
      await sut.service.review(first.ticket.id, alice, 'approve');
      expect((await retry.outcome).ticket.id).toBe(first.ticket.id);
    });

    it('keeps tickets apart per identity, connector and parameters', async () => {
      const text = unique();
      const base = await startHold(sut.service, holdRequest(text, { params: ['1'] }));
      const others = await Promise.all([
        startHold(sut.service, holdRequest(text, { params: ['2'] })),
        startHold(sut.service, holdRequest(text, { params: ['1'], connector: 'pg-2' })),
        startHold(
          sut.service,
          holdRequest(text, { params: ['1'], who: identityFor('agent-2', []) }),
        ),
      ]);
      const ids = new Set([base.ticket.id, ...others.map((o) => o.ticket.id)]);
      expect(ids.size).toBe(4);
      for (const { ticket, outcome } of [base, ...others]) {
        await sut.service.review(ticket.id, alice, 'deny', { rationale: 'cleanup' });
        await rejection(outcome);
      }
    });
  });

  describe('decisions', () => {
    it('approve releases the waiting client with the original text; the approval is used once', async () => {
      const text = unique();
      const { ticket, outcome } = await startHold(sut.service, holdRequest(text));
      const decided = await sut.service.review(ticket.id, alice, 'approve', { rationale: 'ok' });
      expect(decided.status).toBe('approved');
      const release = await outcome;
      expect(release.text).toBe(text);
      expect(release.ticket.id).toBe(ticket.id);
      const stored = await sut.service.get(ticket.id);
      expect(stored.usedAt).toBe(clock.now());
      expect(stored.decisions).toEqual([
        {
          reviewer: { issuer: alice.issuer, subject: 'alice', groups: ['dba'] },
          action: 'approve',
          rationale: 'ok',
          at: clock.now(),
        },
      ]);
      expect(sut.events.filter((e) => e.ticket.id === ticket.id).map((e) => e.type)).toEqual([
        'ticket.created',
        'ticket.decided',
      ]);
      // Used: sending it again needs a new review.
      const again = await startHold(sut.service, holdRequest(text, { review: { wait: 50 } }));
      expect(again.ticket.id).not.toBe(ticket.id);
      expect((await rejection(again.outcome)).code).toBe('approval_timeout');
    });

    it("modify releases the reviewer's text and records both", async () => {
      const text = unique('DELETE FROM orders');
      const { ticket, outcome } = await startHold(sut.service, holdRequest(text));
      const replacement = `${text} WHERE id = 7`;
      await sut.service.review(ticket.id, bob, 'modify', {
        rationale: 'only the broken order',
        command: `  ${replacement}  `,
      });
      const release = await outcome;
      expect(release.text).toBe(replacement);
      const stored = await sut.service.get(ticket.id);
      expect(stored).toMatchObject({
        status: 'modified',
        command: text,
        executedCommand: replacement,
      });
      expect(stored.decisions[0]).toMatchObject({
        action: 'modify',
        command: replacement,
        rationale: 'only the broken order',
      });
    });

    it('deny rejects with policy_denied, ticket and rationale; retries get the denial until expiry', async () => {
      const text = unique();
      const { ticket, outcome } = await startHold(sut.service, holdRequest(text));
      await sut.service.review(ticket.id, alice, 'deny', {
        rationale: 'not during business hours',
      });
      const error = await rejection(outcome);
      expect(error.code).toBe('policy_denied');
      expect(error.message).toContain('not during business hours');
      expect(error.details).toMatchObject({
        ticketId: ticket.id,
        rationale: 'not during business hours',
        rule: 'destructive',
      });

      clock.advance(HOUR - 1);
      const repeated = await rejection(sut.service.hold(holdRequest(text)));
      expect(repeated.code).toBe('policy_denied');
      expect(repeated.details.ticketId).toBe(ticket.id);
      expect((await sut.service.list({})).filter((t) => t.command === text)).toHaveLength(1);

      clock.advance(1);
      const fresh = await startHold(sut.service, holdRequest(text, { review: { wait: 50 } }));
      expect(fresh.ticket.id).not.toBe(ticket.id);
      expect(fresh.ticket.status).toBe('pending');
      expect((await rejection(fresh.outcome)).code).toBe('approval_timeout');
    });

    it('deny and modify need a rationale; modify needs a command', async () => {
      const { ticket, outcome } = await startHold(sut.service, holdRequest(unique()));
      for (const [action, input] of [
        ['deny', {}],
        ['deny', { rationale: '   ' }],
        ['modify', { command: 'SELECT 1' }],
        ['modify', { rationale: 'why' }],
      ] as const) {
        const error = await rejection(sut.service.review(ticket.id, alice, action, input));
        expect(error.code, `${action} ${JSON.stringify(input)}`).toBe('invalid_request');
      }
      expect((await sut.service.get(ticket.id)).decisions).toEqual([]);
      await sut.service.review(ticket.id, alice, 'deny', { rationale: 'done' });
      await rejection(outcome);
    });
  });

  describe('waiting, timing out, expiring', () => {
    it('a wait shorter than the decision times out; the ticket stays pending and the approval is used on retry, once', async () => {
      const text = unique();
      const { ticket, outcome } = await startHold(
        sut.service,
        holdRequest(text, { review: { wait: 80 } }),
      );
      const error = await rejection(outcome);
      expect(error.code).toBe('approval_timeout');
      expect(error.details.ticketId).toBe(ticket.id);
      expect(error.details.hint).toMatch(/send the same command again/);
      expect((await sut.service.get(ticket.id)).status).toBe('pending');

      await sut.service.review(ticket.id, alice, 'approve');
      const release = await sut.service.hold(holdRequest(text));
      expect(release).toMatchObject({ text, ticket: { id: ticket.id } });

      const next = await startHold(sut.service, holdRequest(text, { review: { wait: 50 } }));
      expect(next.ticket.id).not.toBe(ticket.id);
      await rejection(next.outcome);
    });

    it('an approval is valid until the ticket expires, not after', async () => {
      const text = unique();
      const { ticket, outcome } = await startHold(
        sut.service,
        holdRequest(text, { review: { wait: 50 } }),
      );
      await rejection(outcome);
      await sut.service.review(ticket.id, alice, 'approve');
      clock.advance(HOUR);
      const late = await startHold(sut.service, holdRequest(text, { review: { wait: 50 } }));
      expect(late.ticket.id).not.toBe(ticket.id);
      await rejection(late.outcome);
      expect((await sut.service.get(ticket.id)).usedAt).toBeUndefined();
    });

    it('the expiry sweep expires overdue tickets and ends their waiters', async () => {
      const text = unique();
      const { ticket, outcome } = await startHold(
        sut.service,
        holdRequest(text, { review: { timeout: 1000 } }),
      );
      await sut.service.expireOverdue();
      expect((await sut.service.get(ticket.id)).status).toBe('pending');

      clock.advance(1000);
      await sut.service.expireOverdue();
      const error = await rejection(outcome);
      expect(error.code).toBe('approval_timeout');
      expect(error.message).toBe('approval expired');
      expect(error.details.ticketId).toBe(ticket.id);
      expect((await sut.service.get(ticket.id)).status).toBe('expired');
      expect(sut.events.filter((e) => e.ticket.id === ticket.id).map((e) => e.type)).toEqual([
        'ticket.created',
        'ticket.expired',
      ]);
      const late = await rejection(sut.service.review(ticket.id, alice, 'approve'));
      expect(late.code).toBe('conflict');
      expect(late.message).toMatch(/is expired/);
    });

    it('an aborted wait (client gone) leaves the ticket pending; a retry attaches to it', async () => {
      const text = unique();
      const controller = new AbortController();
      const { ticket, outcome } = await startHold(
        sut.service,
        holdRequest(text, { signal: controller.signal }),
      );
      controller.abort();
      const error = await rejection(outcome);
      expect(error.code).toBe('approval_timeout');
      expect(error.message).toBe('approval wait cancelled');
      expect(error.details.ticketId).toBe(ticket.id);
      expect(error.details.hint).toMatch(/send the same command again/);
      expect((await sut.service.get(ticket.id)).status).toBe('pending');

      const retry = await startHold(sut.service, holdRequest(text));
      expect(retry.ticket.id).toBe(ticket.id);
      await sut.service.review(ticket.id, alice, 'approve');
      expect((await retry.outcome).text).toBe(text);

      // A signal that was aborted before the hold ends it at once, without consuming anything.
      const gone = await rejection(
        sut.service.hold(holdRequest(unique(), { signal: AbortSignal.abort() })),
      );
      expect(gone.message).toBe('approval wait cancelled');
    });
  });

  describe('running an approval once', () => {
    it('two concurrent retries after approval: exactly one runs, the other needs a new ticket', async () => {
      const text = unique();
      const { ticket, outcome } = await startHold(
        sut.service,
        holdRequest(text, { review: { wait: 50 } }),
      );
      await rejection(outcome);
      await sut.service.review(ticket.id, alice, 'approve');

      const results = await Promise.allSettled([
        sut.service.hold(holdRequest(text, { review: { wait: 150 } })),
        sut.service.hold(holdRequest(text, { review: { wait: 150 } })),
      ]);
      const ran = results.filter((r) => r.status === 'fulfilled');
      const held = results.filter((r) => r.status === 'rejected');
      expect(ran).toHaveLength(1);
      expect(held).toHaveLength(1);
      const error = (held[0] as PromiseRejectedResult).reason;
      expect(error.code).toBe('approval_timeout');
      expect(error.details.ticketId).not.toBe(ticket.id);
      expect((await sut.service.get(error.details.ticketId)).status).toBe('pending');
    });

    it('two clients waiting on one ticket: the approval releases exactly one', async () => {
      const text = unique();
      const first = await startHold(sut.service, holdRequest(text));
      const second = await startHold(sut.service, holdRequest(text));
      expect(second.ticket.id).toBe(first.ticket.id);
      await sut.service.review(first.ticket.id, alice, 'approve');
      const results = await Promise.allSettled([first.outcome, second.outcome]);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const loser = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
      expect(loser.reason.code).toBe('approval_timeout');
      expect(loser.reason.message).toBe('approval already used');
    });
  });

  describe('who may decide', () => {
    it('requesters cannot approve their own ticket, even in an approver group', async () => {
      const dave = identityFor('dave', ['agents', 'dba'], true);
      const { ticket, outcome } = await startHold(
        sut.service,
        holdRequest(unique(), { who: dave }),
      );
      for (const action of ['approve', 'deny', 'modify'] as const) {
        const error = await rejection(
          sut.service.review(ticket.id, dave, action, { rationale: 'mine', command: 'SELECT 1' }),
        );
        expect(error.code).toBe('access_denied');
        expect(error.message).toBe('requesters cannot review their own ticket');
      }
      // Same subject at another issuer is another person.
      const twin = { ...identityFor('dave', ['dba']), issuer: 'https://other-issuer.invalid' };
      await sut.service.review(ticket.id, twin, 'approve');
      await outcome;
    });

    it('reviewers outside the approver groups are refused', async () => {
      const { ticket, outcome } = await startHold(sut.service, holdRequest(unique()));
      const error = await rejection(sut.service.review(ticket.id, mallory, 'approve'));
      expect(error.code).toBe('access_denied');
      expect(error.message).toBe('reviewers of this ticket must be in one of: dba');
      expect((await sut.service.get(ticket.id)).decisions).toEqual([]);
      await sut.service.review(ticket.id, alice, 'deny', { rationale: 'cleanup' });
      await rejection(outcome);
    });

    it('approvals: 2 needs two distinct eligible reviewers; one deny is enough', async () => {
      const twice = { approvals: 2 };
      const { ticket, outcome } = await startHold(
        sut.service,
        holdRequest(unique(), { review: twice }),
      );
      const after1 = await sut.service.review(ticket.id, alice, 'approve');
      expect(after1.status).toBe('pending');
      expect(await stillPending(outcome)).toBe(true);
      const repeat = await rejection(sut.service.review(ticket.id, alice, 'approve'));
      expect(repeat.code).toBe('conflict');
      expect(repeat.message).toBe('you have already approved this ticket');
      expect(await stillPending(outcome)).toBe(true);
      await sut.service.review(ticket.id, bob, 'approve');
      expect((await outcome).ticket.id).toBe(ticket.id);
      const stored = await sut.service.get(ticket.id);
      expect(stored.decisions.map((d) => d.reviewer.subject)).toEqual(['alice', 'bob']);

      const denied = await startHold(sut.service, holdRequest(unique(), { review: twice }));
      await sut.service.review(denied.ticket.id, alice, 'approve');
      await sut.service.review(denied.ticket.id, bob, 'deny', { rationale: 'no' });
      expect((await rejection(denied.outcome)).code).toBe('policy_denied');
    });

    it('a modify discards approvals of the old text: its author plus one more approve the new one', async () => {
      const { ticket, outcome } = await startHold(
        sut.service,
        holdRequest(unique('DELETE FROM t'), { review: { approvals: 2 } }),
      );
      await sut.service.review(ticket.id, alice, 'approve');
      await sut.service.review(ticket.id, bob, 'modify', {
        rationale: 'narrower',
        command: 'DELETE FROM t WHERE id = 1',
      });
      expect((await sut.service.get(ticket.id)).status).toBe('pending');
      expect(await stillPending(outcome)).toBe(true);
      await sut.service.review(ticket.id, carol, 'approve');
      expect((await outcome).text).toBe('DELETE FROM t WHERE id = 1');
      expect((await sut.service.get(ticket.id)).status).toBe('modified');
    });

    it('concurrent reviewers: one decision wins, the other is told the ticket changed', async () => {
      for (let round = 0; round < 5; round++) {
        const { ticket, outcome } = await startHold(sut.service, holdRequest(unique()));
        const results = await Promise.allSettled([
          sut.service.review(ticket.id, alice, 'approve'),
          sut.service.review(ticket.id, bob, 'deny', { rationale: 'no' }),
        ]);
        const won = results.filter((r) => r.status === 'fulfilled');
        expect(won).toHaveLength(1);
        const lost = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
        expect(lost.reason.code).toBe('conflict');
        const stored = await sut.service.get(ticket.id);
        expect(stored.decisions).toHaveLength(1);
        expect(stored.status).toBe(
          (won[0] as PromiseFulfilledResult<{ status: string }>).value.status,
        );
        await outcome.catch(() => undefined);
      }
    });
  });

  describe('just-in-time grants', () => {
    const grant = { grant: HOUR, timeout: 10 * 60_000 };
    const jit = (text: string, who = agent) =>
      holdRequest(text, { review: grant, rule: 'jit-writes', who });

    it('one approval covers every command of the rule for that identity and connector until it ends', async () => {
      const who = identityFor(`agent-jit-${++seq}`, ['agents'], true);
      const { ticket, outcome } = await startHold(sut.service, jit('DELETE FROM a', who));
      expect(ticket).toMatchObject({ scope: 'grant', grantMs: HOUR, rule: 'jit-writes' });
      // A second command of the same rule attaches to the pending grant.
      const other = await startHold(sut.service, jit('UPDATE b SET x = 1', who));
      expect(other.ticket.id).toBe(ticket.id);
      const decided = await sut.service.review(ticket.id, alice, 'approve');
      expect(decided.grantExpiresAt).toBe(clock.now() + HOUR);
      expect((await outcome).text).toBe('DELETE FROM a');
      expect((await other.outcome).text).toBe('UPDATE b SET x = 1');

      clock.advance(HOUR - 1);
      for (const text of ['DELETE FROM c', 'DELETE FROM c', 'TRUNCATE d']) {
        const release = await sut.service.hold(jit(text, who));
        expect(release).toMatchObject({ text, ticket: { id: ticket.id } });
      }
      // Someone else is not covered.
      const stranger = await startHold(
        sut.service,
        holdRequest('DELETE FROM c', { review: { ...grant, wait: 50 }, rule: 'jit-writes' }),
      );
      expect(stranger.ticket.id).not.toBe(ticket.id);
      await rejection(stranger.outcome);

      clock.advance(1);
      const expired = await startHold(
        sut.service,
        holdRequest('DELETE FROM c', { review: { ...grant, wait: 50 }, rule: 'jit-writes', who }),
      );
      expect(expired.ticket.id).not.toBe(ticket.id);
      await rejection(expired.outcome);
    });

    it('a reviewer revokes a grant (with a rationale); the next command needs a new approval', async () => {
      const who = identityFor(`agent-jit-${++seq}`, ['agents'], true);
      const { ticket, outcome } = await startHold(sut.service, jit('DELETE FROM a', who));
      await sut.service.review(ticket.id, alice, 'approve');
      await outcome;

      expect((await rejection(sut.service.revoke(ticket.id, mallory, 'x'))).code).toBe(
        'access_denied',
      );
      expect((await rejection(sut.service.revoke(ticket.id, bob, ' '))).code).toBe(
        'invalid_request',
      );
      const revoked = await sut.service.revoke(ticket.id, bob, 'incident closed');
      expect(revoked).toMatchObject({ revokedAt: clock.now(), grantExpiresAt: clock.now() });
      expect(revoked.decisions.at(-1)).toMatchObject({
        action: 'revoke',
        rationale: 'incident closed',
        reviewer: { subject: 'bob' },
      });
      expect(sut.events.filter((e) => e.ticket.id === ticket.id).map((e) => e.type)).toEqual([
        'ticket.created',
        'ticket.decided',
        'grant.revoked',
      ]);
      expect((await rejection(sut.service.revoke(ticket.id, bob, 'again'))).code).toBe('conflict');

      const after = await startHold(
        sut.service,
        holdRequest('DELETE FROM a', { review: { ...grant, wait: 50 }, rule: 'jit-writes', who }),
      );
      expect(after.ticket.id).not.toBe(ticket.id);
      await rejection(after.outcome);
    });

    it('grants cannot be modified; command tickets cannot be revoked', async () => {
      const who = identityFor(`agent-jit-${++seq}`, ['agents'], true);
      const { ticket, outcome } = await startHold(sut.service, jit('DELETE FROM a', who));
      const error = await rejection(
        sut.service.review(ticket.id, alice, 'modify', { rationale: 'r', command: 'SELECT 1' }),
      );
      expect(error.code).toBe('invalid_request');
      await sut.service.review(ticket.id, alice, 'deny', { rationale: 'not today' });
      expect((await rejection(outcome)).details.rationale).toBe('not today');
      const repeated = await rejection(sut.service.hold(jit('UPDATE other SET y = 2', who)));
      expect(repeated.code).toBe('policy_denied');
      expect(repeated.details.ticketId).toBe(ticket.id);

      const plain = await startHold(sut.service, holdRequest(unique()));
      await sut.service.review(plain.ticket.id, alice, 'approve');
      await plain.outcome;
      expect((await rejection(sut.service.revoke(plain.ticket.id, alice, 'r'))).code).toBe(
        'conflict',
      );
    });
  });

  it('unknown tickets are not_found', async () => {
    expect((await rejection(sut.service.get('tkt_nope'))).code).toBe('not_found');
    expect((await rejection(sut.service.review('tkt_nope', alice, 'approve'))).code).toBe(
      'not_found',
    );
  });
});
