/** Where pgbench connects for one target. */
export interface Endpoint {
  /** Short name used in tables: `direct`, `pgbouncer`, `node-relay`, `gateway`. */
  label: string;
  host: string;
  port: number;
  user: string;
  database: string;
  /** Sent as PGPASSWORD (the gateway takes a token here). */
  password?: string;
}

/** A running thing pgbench can connect to; `close` stops whatever the harness started. */
export interface RunningTarget {
  endpoint: Endpoint;
  /**
   * CPU time (user + system, µs) the proxy's process has used so far; read before and after a
   * round to get its CPU per transaction. Absent for `direct` (nothing in between).
   */
  cpuMicros?(): number;
  /** Audit transactions and records committed so far (the gateway), for records per commit. */
  auditCommits?(): { commits: number; records: number };
  close(): Promise<void>;
}

/** The database server every target ends up at. */
export interface Upstream {
  host: string;
  port: number;
  user: string;
  database: string;
}

/** Thrown by a factory when its target cannot run here; the run goes on without it. */
export class TargetUnavailable extends Error {
  override readonly name = 'TargetUnavailable';
}

/** Builds a target for a scenario; throws TargetUnavailable (saying why) when it cannot run. */
export type TargetFactory = (
  upstream: Upstream,
  scenario: import('./scenarios.js').Scenario,
) => Promise<RunningTarget>;

/** The baseline: PostgreSQL itself over TCP on loopback. */
export const directTarget: TargetFactory = async (upstream) => ({
  endpoint: { label: 'direct', ...upstream },
  close: async () => {},
});
