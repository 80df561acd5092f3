import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DEFAULT_SCENARIOS, scenarioNames } from './scenarios.js';
import type { Upstream } from './targets.js';

export const TARGETS = [
  'direct',
  'pgbouncer',
  'node-relay',
  'gateway',
  'gateway-unrecorded',
] as const;
export type TargetName = (typeof TARGETS)[number];
export type Mode = 'simple' | 'extended' | 'prepared';

export interface BenchOptions {
  rounds: number;
  seconds: number;
  warmupSeconds: number;
  clients: number[];
  modes: Mode[];
  targets: TargetName[];
  scenarios: string[];
  scale: number;
  reinit: boolean;
  upstream: Upstream;
  /** Where results go; undefined with --no-write. */
  outDir: string | undefined;
}

export const USAGE = `npm run bench -- [options]        (build first: npm run build)

Runs pgbench against PostgreSQL directly, through PgBouncer and through Gatehouse, alternating
targets round by round, and writes bench/results/<time>.json|md and bench/results/latest.md.

  --rounds N           measured rounds per target and configuration   (BENCH_ROUNDS, 3)
  --duration S         seconds per round                              (BENCH_DURATION, 5)
  --warmup S           unrecorded warm-up run per target, 0 for none  (BENCH_WARMUP, 1)
  --clients LIST       pgbench client counts                          (BENCH_CLIENTS, 1,8)
  --modes LIST         simple,extended,prepared                       (BENCH_MODES, simple,extended)
  --targets LIST       ${TARGETS.join(',')}            (BENCH_TARGETS, all)
  --scenarios LIST     ${scenarioNames().join(',')}
                                                                      (BENCH_SCENARIOS, ${DEFAULT_SCENARIOS.join(',')})
  --scale N            pgbench scale of the benchmark database        (BENCH_SCALE, 10)
  --database NAME      benchmark database, created if missing         (BENCH_DATABASE, gatehouse_bench)
  --pg-host/--pg-port/--pg-user   upstream PostgreSQL (trust auth)    (127.0.0.1, 5432, postgres)
  --reinit             re-run pgbench -i even if the database looks initialised
  --out DIR            results directory (default bench/results); --no-write to print only
`;

function list(text: string): string[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

function positive(name: string, text: string, allowZero = false): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < (allowZero ? 0 : 1)) {
    throw new Error(
      `--${name} must be a ${allowZero ? 'non-negative' : 'positive'} integer, got "${text}"`,
    );
  }
  return value;
}

function oneOf<T extends string>(name: string, values: string[], allowed: readonly T[]): T[] {
  const bad = values.filter((v) => !allowed.includes(v as T));
  if (bad.length > 0)
    throw new Error(`--${name}: unknown ${bad.join(', ')} (choose from ${allowed.join(', ')})`);
  return values as T[];
}

/** The repository root (two levels above dist/bench/lib or bench/lib), for bench/results. */
function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    dir = dirname(dir);
  }
  return process.cwd();
}

/** Flags first, then BENCH_* environment variables, then defaults. Returns undefined for --help. */
export function parseBenchOptions(argv: string[], env = process.env): BenchOptions | undefined {
  const { values } = parseArgs({
    args: argv,
    options: {
      rounds: { type: 'string' },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      clients: { type: 'string' },
      modes: { type: 'string' },
      targets: { type: 'string' },
      scenarios: { type: 'string' },
      scale: { type: 'string' },
      database: { type: 'string' },
      'pg-host': { type: 'string' },
      'pg-port': { type: 'string' },
      'pg-user': { type: 'string' },
      reinit: { type: 'boolean', default: false },
      out: { type: 'string' },
      'no-write': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) return undefined;
  const pick = (flag: string | undefined, name: string, fallback: string) =>
    flag ?? env[name] ?? fallback;
  return {
    rounds: positive('rounds', pick(values.rounds, 'BENCH_ROUNDS', '3')),
    seconds: positive('duration', pick(values.duration, 'BENCH_DURATION', '5')),
    warmupSeconds: positive('warmup', pick(values.warmup, 'BENCH_WARMUP', '1'), true),
    clients: list(pick(values.clients, 'BENCH_CLIENTS', '1,8')).map((c) => positive('clients', c)),
    modes: oneOf('modes', list(pick(values.modes, 'BENCH_MODES', 'simple,extended')), [
      'simple',
      'extended',
      'prepared',
    ] as const),
    targets: oneOf(
      'targets',
      list(pick(values.targets, 'BENCH_TARGETS', TARGETS.join(','))),
      TARGETS,
    ),
    scenarios: list(pick(values.scenarios, 'BENCH_SCENARIOS', DEFAULT_SCENARIOS.join(','))),
    scale: positive('scale', pick(values.scale, 'BENCH_SCALE', '10')),
    reinit: values.reinit,
    upstream: {
      host: values['pg-host'] ?? '127.0.0.1',
      port: positive('pg-port', values['pg-port'] ?? '5432'),
      user: values['pg-user'] ?? 'postgres',
      database: pick(values.database, 'BENCH_DATABASE', 'gatehouse_bench'),
    },
    outDir: values['no-write']
      ? undefined
      : resolve(values.out ?? join(repoRoot(), 'bench', 'results')),
  };
}
