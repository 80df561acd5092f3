/**
 * Release latency across replicas (docs/approvals.md, "Across replicas"): an agent connected to
 * replica A sends a command that policy holds for review; a reviewer approves it through replica
 * B's API; replica A hears of it through PostgreSQL LISTEN/NOTIFY on the shared store and forwards
 * the command.
 *
 *   npm run build && node dist/bench/replica-release.js [iterations]
 *   (also reported by `npm run bench`; BENCH_REPLICA_ITERATIONS=0 skips it there)
 *
 * Per iteration: `sent` = approve POST sent → the agent's query resolved (what a reviewer
 * waits for); `after response` = approve response received → query resolved (can be negative:
 * the NOTIFY may overtake the HTTP response).
 */
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { type PostgresServer, type ReplicaPair, startReplicaPair } from './replica-pair.js';

export interface LatencySummary {
  n: number;
  p50: number;
  p99: number;
  min: number;
  max: number;
  mean: number;
}

export interface ReplicaReleaseResult {
  /** Approve POST sent → agent's query resolved, ms. */
  fromApproveSent: LatencySummary;
  /** Approve response received → agent's query resolved, ms. */
  fromApproveResponse: LatencySummary;
  /** Samples in order, ms. */
  samples: Array<{ sent: number; afterResponse: number }>;
}

export const REPLICA_RULES = [
  {
    name: 'drops-need-review',
    when: { statement: ['drop_table'], agent: true },
    action: 'review',
    review: { approvers: ['dba'], wait: '60s', timeout: '1h' },
  },
];

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(Math.max(rank, 1), sorted.length) - 1]!;
}

export function summariseLatency(values: readonly number[]): LatencySummary {
  const sorted = [...values].sort((x, y) => x - y);
  return {
    n: sorted.length,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    min: sorted[0] ?? Number.NaN,
    max: sorted.at(-1) ?? Number.NaN,
    mean: sorted.reduce((sum, v) => sum + v, 0) / (sorted.length || 1),
  };
}

/**
 * Measures `iterations` releases (after `warmup` unrecorded ones) on a running pair: one agent
 * session held open on replica A, decisions through replica B's API.
 */
export async function measureRelease(
  pair: ReplicaPair,
  iterations: number,
  warmup = 2,
): Promise<ReplicaReleaseResult> {
  const agentToken = await pair.token('bench-agent', { groups: ['agents'], agent: true });
  const reviewerToken = await pair.token('bench-reviewer', { groups: ['dba'] });
  const agent = new pg.Client(pair.clientConfig(pair.a, 'bench-agent', agentToken));
  let noticed: ((ticketId: string) => void) | undefined;
  agent.on('notice', (notice) => {
    const id = /ticket (tkt_\w+)/.exec(notice.message ?? '')?.[1];
    if (id) noticed?.(id);
  });
  await agent.connect();
  const samples: ReplicaReleaseResult['samples'] = [];
  try {
    for (let i = 0; i < warmup + iterations; i++) {
      const ticketId = new Promise<string>((resolve) => {
        noticed = resolve;
      });
      // Nothing to drop: the target's own work stays negligible next to the release.
      const query = agent.query(`DROP TABLE IF EXISTS release_probe_${i}`);
      const released = query.then(() => performance.now());
      const id = await ticketId;
      const sent = performance.now();
      const response = await fetch(`${pair.b.apiUrl}/api/approvals/${id}/approve`, {
        method: 'POST',
        headers: { authorization: `Bearer ${reviewerToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ rationale: 'bench' }),
      });
      const answered = performance.now();
      if (response.status !== 200)
        throw new Error(`approve ${id} via replica B: ${response.status} ${await response.text()}`);
      const done = await released;
      if (i >= warmup) samples.push({ sent: done - sent, afterResponse: done - answered });
    }
  } finally {
    await agent.end().catch(() => undefined);
  }
  return {
    fromApproveSent: summariseLatency(samples.map((s) => s.sent)),
    fromApproveResponse: summariseLatency(samples.map((s) => s.afterResponse)),
    samples,
  };
}

/** Starts a replica pair on `server`, measures, and stops it. */
export async function runReplicaRelease(
  server: PostgresServer,
  iterations = 20,
): Promise<ReplicaReleaseResult> {
  const pair = await startReplicaPair({ server, rules: REPLICA_RULES, logLevel: 'info' });
  try {
    return await measureRelease(pair, iterations);
  } finally {
    await pair.close();
  }
}

const ms = (value: number) => `${value.toFixed(1)} ms`;

/** One line per measure, for the console and the bench report's notes. */
export function describeRelease(result: ReplicaReleaseResult): string[] {
  const line = (what: string, s: LatencySummary) =>
    `replica release latency (${what}, n=${s.n}): p50 ${ms(s.p50)}, p99 ${ms(s.p99)}, ` +
    `min ${ms(s.min)}, max ${ms(s.max)}`;
  return [
    line('approve POST on replica B sent → held query on replica A done', result.fromApproveSent),
    line('approve response received → held query done', result.fromApproveResponse),
  ];
}

/**
 * For bench/run.ts: the measurement as report notes, or why it did not run. Iterations from
 * BENCH_REPLICA_ITERATIONS (default 20; 0 skips).
 */
export async function replicaReleaseNotes(server: PostgresServer): Promise<string[]> {
  const iterations = Number(process.env['BENCH_REPLICA_ITERATIONS'] ?? 20);
  if (!Number.isInteger(iterations) || iterations <= 0) return [];
  try {
    const lines = describeRelease(await runReplicaRelease(server, iterations));
    for (const line of lines) console.log(line);
    return lines;
  } catch (err) {
    const line = `replica release latency not measured: ${(err as Error).message.split('\n')[0]}`;
    console.log(line);
    return [line];
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const iterations = Number(process.argv[2] ?? 20);
  const server = {
    host: process.env['PGHOST'] ?? '127.0.0.1',
    port: Number(process.env['PGPORT'] ?? 5432),
    user: process.env['PGUSER'] ?? 'postgres',
  };
  runReplicaRelease(server, iterations).then(
    (result) => {
      for (const line of describeRelease(result)) console.log(line);
    },
    (err: unknown) => {
      console.error(`replica-release: ${(err as Error).message}`);
      process.exitCode = 1;
    },
  );
}
