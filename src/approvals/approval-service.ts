import { createHash, randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type {
  ApprovalHold,
  HoldRequest as CoreHoldRequest,
  Release as CoreRelease,
} from '../core/approval-hold.js';
import type { Clock } from '../core/clock.js';
import { GatehouseError } from '../core/errors.js';
import type { Identity } from '../core/identity.js';
import { applyReview } from './review-decision.js';
import {
  decidingRationale,
  effectiveStatus,
  type ReviewAction,
  reviewerFrom,
  type Ticket,
  type TicketScope,
} from './ticket.js';
import type { TicketChanges } from './ticket-changes.js';
import type { TicketQuery, TicketRepository } from './ticket-repository.js';

export type TicketEventType =
  | 'ticket.created'
  | 'ticket.decided'
  | 'ticket.expired'
  | 'grant.revoked';

export interface ApprovalDeps {
  tickets: TicketRepository;
  changes: TicketChanges;
  clock: Clock;
  logger: Logger;
  /** Console base URL (read when needed: known only once the API listens); tickets link to `${publicUrl}/#/approvals/{id}`. */
  publicUrl: () => string;
  defaults: { timeoutMs: number; waitMs: number; approvers: string[] };
  /** Told about every ticket change (notifiers); must not throw or block. */
  onEvent?: (type: TicketEventType, ticket: Ticket, url: string) => void;
}

/** A review decision that the gate wants held until a human decides (see core/approval-hold.ts). */
export type HoldRequest = CoreHoldRequest<Ticket>;

/** The command may run: the text to run (the reviewer's after a modify) and its ticket. */
export type Release = CoreRelease<Ticket>;

/**
 * The ticket lifecycle (docs/approvals.md): hold a command, wait for reviewers, release, deny or
 * time out; retries attach to the pending ticket, an approval runs its command once, a denial is
 * repeated until the ticket expires, grants cover a rule for a while.
 */
export class ApprovalService implements ApprovalHold {
  readonly #deps: ApprovalDeps;

  constructor(deps: ApprovalDeps) {
    this.#deps = deps;
  }

  ticketUrl(id: string): string {
    return `${this.#deps.publicUrl().replace(/\/$/, '')}/#/approvals/${id}`;
  }

  /** Resolves when the command may run; throws policy_denied / approval_timeout otherwise. */
  async hold(request: HoldRequest): Promise<Release> {
    const { tickets, clock } = this.#deps;
    const review = request.decision.review;
    const scope: TicketScope = review?.grant ? 'grant' : 'command';
    const fingerprint = fingerprintOf(request, scope);
    let ticket = await tickets.latestByFingerprint(fingerprint);
    const now = clock.now();

    if (ticket) {
      const reused = await this.#reuse(ticket, request, now);
      if (reused) return reused;
      if (effectiveStatus(ticket, now) !== 'pending') ticket = undefined;
    }
    if (!ticket) ticket = await this.#open(request, scope, fingerprint, now);
    return this.#wait(ticket, request, review?.wait ?? this.#deps.defaults.waitMs);
  }

  /** Records one reviewer's decision; releases the waiting client on whichever replica holds it. */
  async review(
    id: string,
    reviewer: Identity,
    action: ReviewAction,
    input: { rationale?: string; command?: string } = {},
  ): Promise<Ticket> {
    const ticket = await this.get(id);
    const next = applyReview(ticket, {
      reviewer: reviewerFrom(reviewer),
      action,
      ...input,
      now: this.#deps.clock.now(),
    });
    if (!(await this.#deps.tickets.saveReview(next, ticket.decisions.length))) {
      throw new GatehouseError(
        'conflict',
        'the ticket changed while you were deciding; reload it',
        { ticketId: id },
      );
    }
    await this.#changed(next.status === 'pending' ? undefined : 'ticket.decided', next);
    this.#deps.logger.info(
      { ticket: id, reviewer: reviewer.subject, action, status: next.status },
      'ticket reviewed',
    );
    return next;
  }

  /** Ends an approved grant before its time. */
  async revoke(id: string, reviewer: Identity, rationale: string): Promise<Ticket> {
    const ticket = await this.get(id);
    const now = this.#deps.clock.now();
    if (!reviewer.groups.some((group) => ticket.approvers.includes(group))) {
      throw new GatehouseError(
        'access_denied',
        `revoking needs one of: ${ticket.approvers.join(', ')}`,
        { ticketId: id },
      );
    }
    if (!rationale.trim())
      throw new GatehouseError('invalid_request', 'a rationale is required to revoke a grant');
    const decision = {
      reviewer: reviewerFrom(reviewer),
      action: 'revoke' as const,
      rationale,
      at: now,
    };
    if (!(await this.#deps.tickets.revokeGrant(id, now, decision))) {
      throw new GatehouseError('conflict', `ticket ${id} is not an active grant`, { ticketId: id });
    }
    const revoked = await this.get(id);
    await this.#changed('grant.revoked', revoked);
    return revoked;
  }

  async get(id: string): Promise<Ticket> {
    const ticket = await this.#deps.tickets.get(id);
    if (!ticket) throw new GatehouseError('not_found', `no ticket ${id}`);
    return ticket;
  }

  list(query: TicketQuery): Promise<Ticket[]> {
    return this.#deps.tickets.list(query);
  }

  /** Marks overdue pending tickets expired and tells their waiters; run periodically. */
  async expireOverdue(): Promise<void> {
    for (const id of await this.#deps.tickets.expirePending(this.#deps.clock.now())) {
      const ticket = await this.#deps.tickets.get(id);
      if (ticket) await this.#changed('ticket.expired', ticket);
    }
  }

  async #open(
    request: HoldRequest,
    scope: TicketScope,
    fingerprint: string,
    now: number,
  ): Promise<Ticket> {
    const { defaults } = this.#deps;
    const review = request.decision.review;
    const ticket: Ticket = {
      id: newTicketId(),
      connector: request.connector,
      requester: request.identity,
      reason: request.reason,
      command: request.command.text,
      params: request.command.params,
      classes: request.command.classes,
      rule: request.decision.rule ?? '(default)',
      approvers: review?.approvers ?? defaults.approvers,
      approvalsRequired: review?.approvals ?? 1,
      scope,
      grantMs: review?.grant,
      status: 'pending',
      createdAt: now,
      expiresAt: now + (review?.timeout ?? defaults.timeoutMs),
      decisions: [],
      fingerprint,
    };
    await this.#deps.tickets.insert(ticket);
    await this.#changed('ticket.created', ticket);
    return ticket;
  }

  /** An earlier ticket for the same request: use its approval, repeat its denial, or nothing. */
  async #reuse(ticket: Ticket, request: HoldRequest, now: number): Promise<Release | undefined> {
    const status = effectiveStatus(ticket, now);
    if (ticket.scope === 'grant') {
      if (status === 'approved' && (ticket.grantExpiresAt ?? 0) > now)
        return { ticket, text: request.command.text };
      if (status === 'denied' && now < ticket.expiresAt) throw denial(ticket);
      return undefined;
    }
    if (
      (status === 'approved' || status === 'modified') &&
      now < ticket.expiresAt &&
      !ticket.usedAt
    ) {
      if (await this.#deps.tickets.consume(ticket.id, now)) {
        return { ticket, text: ticket.executedCommand ?? ticket.command };
      }
      return undefined;
    }
    if (status === 'denied' && now < ticket.expiresAt) throw denial(ticket);
    return undefined;
  }

  #wait(ticket: Ticket, request: HoldRequest, waitMs: number): Promise<Release> {
    const { tickets, changes } = this.#deps;
    return new Promise<Release>((resolve, reject) => {
      let settled = false;
      let checking = Promise.resolve();
      const finish = (error: unknown, release?: Release) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        unsubscribe();
        request.signal?.removeEventListener('abort', onAbort);
        if (release) resolve(release);
        else reject(error);
      };
      const check = () => {
        checking = checking
          .then(async () => {
            if (settled) return;
            const current = await tickets.get(ticket.id);
            if (!current)
              return finish(new GatehouseError('internal', `ticket ${ticket.id} vanished`));
            const now = this.#deps.clock.now();
            const release = await this.#reuse(current, request, now);
            if (release) return finish(undefined, release);
            const status = effectiveStatus(current, now);
            if (status === 'expired' || status === 'cancelled')
              return finish(timedOut(current, 'expired'));
            if (status !== 'pending') return finish(timedOut(current, 'already used'));
          })
          .catch((err: unknown) => finish(err));
      };
      // '*' asks every waiter to re-read: the feed reconnected and may have missed changes.
      const unsubscribe = changes.subscribe((id) => {
        if (id === ticket.id || id === '*') check();
      });
      const timer = setTimeout(() => finish(timedOut(ticket, 'still pending')), waitMs);
      const onAbort = () => finish(timedOut(ticket, 'wait cancelled'));
      if (request.signal?.aborted) return onAbort();
      request.signal?.addEventListener('abort', onAbort, { once: true });
      request.onPending?.(ticket, this.ticketUrl(ticket.id));
      check();
    });
  }

  async #changed(type: TicketEventType | undefined, ticket: Ticket): Promise<void> {
    try {
      await this.#deps.changes.publish(ticket.id);
    } catch (err) {
      this.#deps.logger.error({ err, ticket: ticket.id }, 'could not publish ticket change');
    }
    if (type) this.#deps.onEvent?.(type, ticket, this.ticketUrl(ticket.id));
  }
}

function fingerprintOf(request: HoldRequest, scope: TicketScope): string {
  const { identity, command } = request;
  const what =
    scope === 'grant'
      ? ['grant', request.decision.rule ?? '']
      : ['command', command.text, command.params ?? []];
  return createHash('sha256')
    .update(JSON.stringify([request.connector, identity.issuer, identity.subject, ...what]))
    .digest('base64url');
}

/** Short, unambiguous, typeable: `tkt_` + 10 base32 characters. */
function newTicketId(): string {
  const alphabet = 'abcdefghjkmnpqrstuvwxyz23456789';
  const bytes = randomBytes(10);
  let id = 'tkt_';
  for (const byte of bytes) id += alphabet[byte % alphabet.length];
  return id;
}

function denial(ticket: Ticket): GatehouseError {
  const rationale = decidingRationale(ticket);
  return new GatehouseError(
    'policy_denied',
    `denied by review${rationale ? `: ${rationale}` : ''}`,
    {
      ticketId: ticket.id,
      rule: ticket.rule,
      rationale,
    },
  );
}

function timedOut(ticket: Ticket, why: string): GatehouseError {
  const hint =
    why === 'still pending' || why === 'wait cancelled'
      ? 'the ticket stays open until it expires; send the same command again to pick up the decision'
      : undefined;
  return new GatehouseError('approval_timeout', `approval ${why}`, {
    ticketId: ticket.id,
    rule: ticket.rule,
    hint,
  });
}
