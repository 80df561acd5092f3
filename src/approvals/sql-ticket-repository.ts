import type { Kysely, Selectable } from 'kysely';
import type { Ticket, TicketDecision, TicketStatus } from './ticket.js';
import type { TicketQuery, TicketRepository } from './ticket-repository.js';

/** The `tickets` table (migration in src/store/migrations). JSON columns hold text. */
export interface TicketsTable {
  id: string;
  connector: string;
  fingerprint: string;
  requester: string;
  command: string;
  params: string | null;
  classes: string;
  rule: string;
  approvers: string;
  approvals_required: number;
  scope: string;
  grant_ms: number | null;
  status: string;
  created_at: number;
  expires_at: number;
  decisions: string;
  /** Number of decisions; the compare-and-set token for concurrent reviewers. */
  version: number;
  executed_command: string | null;
  grant_expires_at: number | null;
  revoked_at: number | null;
  used_at: number | null;
  reason: string | null;
}

export type TicketTables = {
  tickets: TicketsTable;
};

/** TicketRepository over Kysely: identical on SQLite and PostgreSQL. */
export class SqlTicketRepository implements TicketRepository {
  readonly #db: Kysely<TicketTables>;

  constructor(db: Kysely<TicketTables>) {
    this.#db = db;
  }

  async insert(ticket: Ticket): Promise<void> {
    await this.#db.insertInto('tickets').values(toRow(ticket)).execute();
  }

  async get(id: string): Promise<Ticket | undefined> {
    const row = await this.#db
      .selectFrom('tickets')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row && fromRow(row);
  }

  async list(query: TicketQuery): Promise<Ticket[]> {
    let select = this.#db.selectFrom('tickets').selectAll();
    if (query.status) select = select.where('status', '=', query.status);
    if (query.connector) select = select.where('connector', '=', query.connector);
    const rows = await select
      .orderBy('created_at', 'desc')
      .limit(query.limit ?? 100)
      .execute();
    return rows.map(fromRow);
  }

  async countByStatus(): Promise<Partial<Record<TicketStatus, number>>> {
    const rows = await this.#db
      .selectFrom('tickets')
      .select(['status', (eb) => eb.fn.countAll<number | string>().as('n')])
      .groupBy('status')
      .execute();
    return Object.fromEntries(rows.map((row) => [row.status, Number(row.n)]));
  }

  async latestByFingerprint(fingerprint: string): Promise<Ticket | undefined> {
    const row = await this.#db
      .selectFrom('tickets')
      .selectAll()
      .where('fingerprint', '=', fingerprint)
      .orderBy('created_at', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row && fromRow(row);
  }

  async saveReview(ticket: Ticket, expectedDecisionCount: number): Promise<boolean> {
    const result = await this.#db
      .updateTable('tickets')
      .set({
        status: ticket.status,
        decisions: JSON.stringify(ticket.decisions),
        version: ticket.decisions.length,
        executed_command: ticket.executedCommand ?? null,
        grant_expires_at: ticket.grantExpiresAt ?? null,
      })
      .where('id', '=', ticket.id)
      .where('version', '=', expectedDecisionCount)
      .where('status', '=', 'pending')
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async consume(id: string, now: number): Promise<boolean> {
    const result = await this.#db
      .updateTable('tickets')
      .set({ used_at: now })
      .where('id', '=', id)
      .where('used_at', 'is', null)
      .where('scope', '=', 'command')
      .where('status', 'in', ['approved', 'modified'])
      .where('expires_at', '>', now)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async revokeGrant(id: string, now: number, decision: TicketDecision): Promise<boolean> {
    return this.#db.transaction().execute(async (trx) => {
      const row = await trx
        .selectFrom('tickets')
        .selectAll()
        .where('id', '=', id)
        .executeTakeFirst();
      if (
        row?.scope !== 'grant' ||
        row.status !== 'approved' ||
        Number(row.grant_expires_at ?? 0) <= now
      )
        return false;
      const decisions = [...(JSON.parse(row.decisions) as TicketDecision[]), decision];
      const result = await trx
        .updateTable('tickets')
        .set({
          revoked_at: now,
          grant_expires_at: now,
          decisions: JSON.stringify(decisions),
          version: decisions.length,
        })
        .where('id', '=', id)
        .where('version', '=', row.version)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    });
  }

  async expirePending(now: number): Promise<string[]> {
    const rows = await this.#db
      .updateTable('tickets')
      .set({ status: 'expired' })
      .where('status', '=', 'pending')
      .where('expires_at', '<=', now)
      .returning('id')
      .execute();
    return rows.map((row) => row.id);
  }
}

function toRow(ticket: Ticket): TicketsTable {
  return {
    id: ticket.id,
    connector: ticket.connector,
    fingerprint: ticket.fingerprint,
    requester: JSON.stringify(ticket.requester),
    command: ticket.command,
    params: ticket.params ? JSON.stringify(ticket.params) : null,
    classes: JSON.stringify(ticket.classes),
    rule: ticket.rule,
    approvers: JSON.stringify(ticket.approvers),
    approvals_required: ticket.approvalsRequired,
    scope: ticket.scope,
    grant_ms: ticket.grantMs ?? null,
    status: ticket.status,
    created_at: ticket.createdAt,
    expires_at: ticket.expiresAt,
    decisions: JSON.stringify(ticket.decisions),
    version: ticket.decisions.length,
    executed_command: ticket.executedCommand ?? null,
    grant_expires_at: ticket.grantExpiresAt ?? null,
    revoked_at: ticket.revokedAt ?? null,
    used_at: ticket.usedAt ?? null,
    reason: ticket.reason ?? null,
  };
}

const optionalNumber = (value: number | string | null): number | undefined =>
  value === null ? undefined : Number(value);

function fromRow(row: Selectable<TicketsTable>): Ticket {
  return {
    id: row.id,
    connector: row.connector,
    fingerprint: row.fingerprint,
    requester: JSON.parse(row.requester),
    command: row.command,
    params: row.params ? JSON.parse(row.params) : undefined,
    classes: JSON.parse(row.classes),
    rule: row.rule,
    approvers: JSON.parse(row.approvers),
    approvalsRequired: Number(row.approvals_required),
    scope: row.scope as Ticket['scope'],
    grantMs: optionalNumber(row.grant_ms),
    status: row.status as Ticket['status'],
    createdAt: Number(row.created_at),
    expiresAt: Number(row.expires_at),
    decisions: JSON.parse(row.decisions),
    executedCommand: row.executed_command ?? undefined,
    grantExpiresAt: optionalNumber(row.grant_expires_at),
    revokedAt: optionalNumber(row.revoked_at),
    usedAt: optionalNumber(row.used_at),
    reason: row.reason ?? undefined,
  };
}
