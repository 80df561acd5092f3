import { execFile } from 'node:child_process';
import { cpus } from 'node:os';
import type { Endpoint } from './targets.js';

/** What one pgbench run reports (parsed from its summary). */
export interface PgbenchResult {
  tps: number;
  /** `latency average`, milliseconds. */
  latencyMs: number;
  transactions: number;
  failed: number;
  /** `initial connection time`, milliseconds, when reported. */
  connectMs?: number;
}

export interface PgbenchRun {
  endpoint: Endpoint;
  /** Script selection, e.g. `['-S']` for the built-in select-only script. */
  script: readonly string[];
  mode: 'simple' | 'extended' | 'prepared';
  clients: number;
  seconds: number;
}

/** Runs pgbench against an endpoint and parses its summary; throws with pgbench's own words. */
export function runPgbench(run: PgbenchRun): Promise<PgbenchResult> {
  const { endpoint } = run;
  const threads = Math.max(1, Math.min(run.clients, cpus().length));
  const args = [
    ...run.script,
    '--no-vacuum',
    `--protocol=${run.mode}`,
    `--client=${run.clients}`,
    `--jobs=${threads}`,
    `--time=${run.seconds}`,
    `--host=${endpoint.host}`,
    `--port=${endpoint.port}`,
    `--username=${endpoint.user}`,
    endpoint.database,
  ];
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PGSSLMODE: 'disable',
    PGAPPNAME: 'gatehouse-bench',
  };
  if (endpoint.password) env['PGPASSWORD'] = endpoint.password;
  else delete env['PGPASSWORD'];
  return new Promise((resolve, reject) => {
    execFile(
      'pgbench',
      args,
      { env, timeout: (run.seconds + 60) * 1000, maxBuffer: 16 << 20 },
      (err, stdout, stderr) => {
        if (err) {
          const tail = `${stderr}`.trim().split('\n').slice(-5).join('\n');
          reject(new Error(`pgbench against ${endpoint.label} failed: ${tail || err.message}`));
          return;
        }
        try {
          resolve(parsePgbenchOutput(`${stdout}\n${stderr}`));
        } catch (parseError) {
          reject(parseError);
        }
      },
    );
  });
}

/** Reads the summary pgbench prints (PostgreSQL 14+ wording; older lines are accepted too). */
export function parsePgbenchOutput(text: string): PgbenchResult {
  const number = (pattern: RegExp): number | undefined => {
    const match = pattern.exec(text);
    return match ? Number(match[1]) : undefined;
  };
  const tps =
    number(/^tps = ([\d.]+) \(without initial connection time\)/m) ??
    number(/^tps = ([\d.]+) \(excluding connections establishing\)/m);
  const latencyMs = number(/^latency average = ([\d.]+) ms/m);
  const transactions = number(/^number of transactions actually processed: (\d+)/m);
  if (tps === undefined || latencyMs === undefined || transactions === undefined) {
    throw new Error(
      `pgbench output not understood:\n${text.trim().split('\n').slice(-12).join('\n')}`,
    );
  }
  const failed = number(/^number of failed transactions: (\d+)/m) ?? 0;
  const connectMs = number(/^initial connection time = ([\d.]+) ms/m);
  return {
    tps,
    latencyMs,
    transactions,
    failed,
    ...(connectMs === undefined ? {} : { connectMs }),
  };
}
