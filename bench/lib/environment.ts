import { execFileSync } from 'node:child_process';
import { cpus, loadavg, release, totalmem } from 'node:os';
import pg from 'pg';
import { findPgBouncer } from './pgbouncer.js';
import type { Upstream } from './targets.js';

function firstLine(command: string, args: string[]): string {
  try {
    return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
      .split('\n')[0]!
      .trim();
  } catch {
    return 'unavailable';
  }
}

/** What the numbers were measured on, for the report. */
export async function describeEnvironment(
  upstream: Upstream,
): Promise<Record<string, string | number>> {
  const client = new pg.Client({ ...upstream });
  let server = 'unknown';
  try {
    await client.connect();
    server = (await client.query<{ v: string }>("SELECT current_setting('server_version') AS v"))
      .rows[0]!.v;
  } catch {
    // reported as unknown; the run itself fails later with a clear message
  } finally {
    await client.end().catch(() => {});
  }
  const bouncer = findPgBouncer();
  return {
    node: process.version,
    os: `${process.platform} ${release()}`,
    cpus: `${cpus().length} × ${cpus()[0]?.model ?? 'unknown'}`,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    loadAverageAtStart: loadavg()[0]!.toFixed(2),
    postgres: server,
    pgbench: firstLine('pgbench', ['--version']),
    pgbouncer: bouncer ? firstLine(bouncer, ['--version']) : 'not installed',
    commit: firstLine('git', ['rev-parse', '--short', 'HEAD']),
  };
}

/**
 * A note for the report when other work was running as the benchmark started (measured before
 * the run adds load of its own; the run itself keeps a 2-CPU machine near 2).
 */
export function loadNote(atStart: number): string | undefined {
  if (!(atStart > cpus().length / 2)) return undefined;
  return (
    `the machine was already busy when the run started (1-minute load average ${atStart.toFixed(1)} ` +
    `on ${cpus().length} CPUs): other work competed with the run, expect noisy numbers`
  );
}
