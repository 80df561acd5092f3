import { writeFile } from 'node:fs/promises';
import { parse, stringify } from 'yaml';
import type { TestDatabase } from '../helpers/pg-db.js';

/** The slice of an API ticket (src/api/ticket-view.ts) the flow tests read. */
export interface TicketJson {
  reason?: string;
  id: string;
  url: string;
  status: string;
  scope: string;
  connector: string;
  command: string;
  executedCommand?: string;
  rule: string;
  approvers: string[];
  approvalsRequired: number;
  usedAt?: string;
  grantExpiresAt?: string;
  revokedAt?: string;
  requester: { subject: string; agent: boolean };
  decisions: Array<{
    reviewer: { subject: string };
    action: string;
    rationale?: string;
    command?: string;
  }>;
  viewer: { canDecide: boolean; reason?: string };
}

export interface ApiAnswer<T = unknown> {
  status: number;
  body: T;
}

/** The gateway's REST API as one bearer-token holder sees it. */
export class ApiClient {
  constructor(
    readonly baseUrl: string,
    readonly token: string,
  ) {}

  async get<T = TicketJson>(path: string): Promise<ApiAnswer<T>> {
    const response = await fetch(`${this.baseUrl}${path}`, {
      headers: { authorization: `Bearer ${this.token}` },
    });
    return { status: response.status, body: (await response.json()) as T };
  }

  async post<T = TicketJson>(path: string, body: unknown = {}): Promise<ApiAnswer<T>> {
    const response = await fetch(`${this.baseUrl}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${this.token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as T };
  }

  /** POST /api/approvals/:id/:action; throws unless the API answers 200. */
  async decide(
    id: string,
    action: 'approve' | 'deny' | 'modify' | 'revoke',
    body: { rationale?: string; command?: string } = {},
  ): Promise<TicketJson> {
    const answer = await this.post(`/api/approvals/${id}/${action}`, body);
    if (answer.status !== 200)
      throw new Error(`${action} ${id}: ${answer.status} ${JSON.stringify(answer.body)}`);
    return answer.body;
  }

  /** Polls until a ticket whose command is `command` has `status` (default pending). */
  async waitForTicket(
    command: string,
    status = 'pending',
    timeoutMs = 10_000,
  ): Promise<TicketJson> {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    while (Date.now() < deadline) {
      const answer = await this.get<TicketJson[]>(`/api/approvals?status=${status}`);
      last = `${answer.status} ${JSON.stringify(answer.body).slice(0, 300)}`;
      const found =
        answer.status === 200 ? answer.body.find((t) => t.command === command) : undefined;
      if (found) return found;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    throw new Error(`no ${status} ticket for "${command}" within ${timeoutMs} ms (last: ${last})`);
  }

  /** Every ticket (any status) for `command`, newest first. */
  async ticketsFor(command: string): Promise<TicketJson[]> {
    const answer = await this.get<TicketJson[]>('/api/approvals?limit=500');
    return answer.body.filter((t) => t.command === command);
  }
}

/** Whether `table` exists on the target, asked of PostgreSQL directly (not via the gateway). */
export async function tableExists(db: TestDatabase, table: string): Promise<boolean> {
  const client = await db.connect();
  try {
    const { rows } = await client.query<{ found: string | null }>(
      'select to_regclass($1)::text as found',
      [table],
    );
    return rows[0]!.found !== null;
  } finally {
    await client.end();
  }
}

/** Rows in `table` on the target, counted directly. */
export async function rowCount(db: TestDatabase, table: string): Promise<number> {
  const client = await db.connect();
  try {
    const { rows } = await client.query<{ n: number }>(`select count(*)::int as n from ${table}`);
    return rows[0]!.n;
  } finally {
    await client.end();
  }
}

/**
 * A client-side copy of a gateway config whose connector `listen` is the port the gateway
 * actually bound (the server's file says `:0`), for `gatehouse exec -c`.
 */
export async function clientConfigFile(
  serverConfigText: string,
  path: string,
  listen: { host: string; port: number },
  apiUrl?: string,
): Promise<string> {
  const config = parse(serverConfigText) as {
    server: { api: Record<string, unknown> };
    connectors: Array<Record<string, unknown>>;
  };
  for (const connector of config.connectors) connector['listen'] = `${listen.host}:${listen.port}`;
  if (apiUrl) config.server.api['public_url'] = apiUrl;
  await writeFile(path, stringify(config));
  return path;
}

/** Resolves true when `promise` is still unsettled after `ms`. */
export async function stillPending(promise: Promise<unknown>, ms = 150): Promise<boolean> {
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
