/** One measured pgbench run. */
export interface RoundResult {
  scenario: string;
  mode: string;
  clients: number;
  target: string;
  round: number;
  tps: number;
  latencyMs: number;
  transactions: number;
  failed: number;
  /** CPU the proxy's process used per transaction (µs); absent for direct. */
  cpuUsPerTx?: number;
  /** Gateway: audit records per committed transaction during the round. */
  auditRecordsPerCommit?: number;
}

/** Rounds of one target in one configuration, averaged. */
export interface Summary {
  scenario: string;
  mode: string;
  clients: number;
  target: string;
  rounds: number;
  tps: number;
  /** Relative standard deviation of tps across rounds, percent. */
  tpsSpreadPct: number;
  latencyMs: number;
  /** Mean CPU µs per transaction of the proxy process; null for direct. */
  cpuUsPerTx: number | null;
  /** Gateway: mean audit records per commit (group commit batch size); null for others. */
  auditRecordsPerCommit: number | null;
}

/** The gateway against both baselines in one configuration; absent baselines give nulls. */
export interface Comparison {
  scenario: string;
  mode: string;
  clients: number;
  tpsVsDirect: number | null;
  tpsVsPgbouncer: number | null;
  /** Against a bare Node TCP relay: the floor for a proxy in this runtime. */
  tpsVsNodeRelay: number | null;
  /** The diagnostic gateway that discards command records, against PgBouncer. */
  unrecordedVsPgbouncer: number | null;
  /** Gateway CPU per transaction / PgBouncer's. */
  cpuVsPgbouncer: number | null;
  latencyVsDirect: number | null;
  latencyVsPgbouncer: number | null;
  /** Latency the gateway adds over direct, microseconds. */
  gatewayAddedUs: number | null;
  /** Latency PgBouncer adds over direct, microseconds. */
  pgbouncerAddedUs: number | null;
  /** (gateway − direct) / (pgbouncer − direct): how many PgBouncers' worth of latency. */
  addedLatencyRatio: number | null;
}

export interface BenchReport {
  startedAt: string;
  finishedAt: string;
  environment: Record<string, string | number>;
  options: Record<string, unknown>;
  scenarios: Array<{ name: string; description: string }>;
  notes: string[];
  rounds: RoundResult[];
  summaries: Summary[];
  comparisons: Comparison[];
  /** Per-cell masking cost (ns), as measured by bench/masking-bench.ts in the same run. */
  maskingCost?: string[];
}

const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;

export function summarise(rounds: readonly RoundResult[]): Summary[] {
  const groups = new Map<string, RoundResult[]>();
  for (const r of rounds) {
    const key = JSON.stringify([r.scenario, r.mode, r.clients, r.target]);
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  return [...groups.values()].map((group) => {
    const first = group[0]!;
    const tps = mean(group.map((r) => r.tps));
    const spread = Math.sqrt(mean(group.map((r) => (r.tps - tps) ** 2)));
    return {
      scenario: first.scenario,
      mode: first.mode,
      clients: first.clients,
      target: first.target,
      rounds: group.length,
      tps,
      tpsSpreadPct: tps > 0 ? (spread / tps) * 100 : 0,
      latencyMs: mean(group.map((r) => r.latencyMs)),
      cpuUsPerTx: group.every((r) => r.cpuUsPerTx !== undefined)
        ? mean(group.map((r) => r.cpuUsPerTx!))
        : null,
      auditRecordsPerCommit: group.every((r) => r.auditRecordsPerCommit !== undefined)
        ? mean(group.map((r) => r.auditRecordsPerCommit!))
        : null,
    };
  });
}

export function compare(summaries: readonly Summary[]): Comparison[] {
  const configs = new Map<string, Map<string, Summary>>();
  for (const s of summaries) {
    const key = JSON.stringify([s.scenario, s.mode, s.clients]);
    const byTarget = configs.get(key) ?? new Map<string, Summary>();
    byTarget.set(s.target, s);
    configs.set(key, byTarget);
  }
  const out: Comparison[] = [];
  for (const byTarget of configs.values()) {
    const gateway = byTarget.get('gateway');
    if (!gateway) continue;
    const direct = byTarget.get('direct');
    const bouncer = byTarget.get('pgbouncer');
    const relay = byTarget.get('node-relay');
    const unrecorded = byTarget.get('gateway-unrecorded');
    const ratio = (a?: number | null, b?: number | null) =>
      a !== undefined && a !== null && b ? a / b : null;
    const added = (s?: Summary) => (s && direct ? (s.latencyMs - direct.latencyMs) * 1000 : null);
    const gatewayAdded = added(gateway);
    const bouncerAdded = added(bouncer);
    out.push({
      scenario: gateway.scenario,
      mode: gateway.mode,
      clients: gateway.clients,
      tpsVsDirect: ratio(gateway.tps, direct?.tps),
      tpsVsPgbouncer: ratio(gateway.tps, bouncer?.tps),
      tpsVsNodeRelay: ratio(gateway.tps, relay?.tps),
      unrecordedVsPgbouncer: ratio(unrecorded?.tps, bouncer?.tps),
      cpuVsPgbouncer: ratio(gateway.cpuUsPerTx, bouncer?.cpuUsPerTx),
      latencyVsDirect: ratio(gateway.latencyMs, direct?.latencyMs),
      latencyVsPgbouncer: ratio(gateway.latencyMs, bouncer?.latencyMs),
      gatewayAddedUs: gatewayAdded,
      pgbouncerAddedUs: bouncerAdded,
      addedLatencyRatio:
        gatewayAdded !== null && bouncerAdded !== null && bouncerAdded > 0
          ? gatewayAdded / bouncerAdded
          : null,
    });
  }
  return out;
}
