import { execFileSync } from 'node:child_process';
import { ensureBenchDatabase } from './lib/bench-db.js';
import { describeEnvironment, loadNote } from './lib/environment.js';
import { gatewayTarget, unrecordedGatewayTarget } from './lib/gateway-target.js';
import { nodeRelayTarget } from './lib/node-relay.js';
import { type BenchOptions, parseBenchOptions, type TargetName, USAGE } from './lib/options.js';
import { runPgbench } from './lib/pgbench.js';
import { pgbouncerTarget } from './lib/pgbouncer.js';
import { renderText, writeReport } from './lib/render.js';
import { type BenchReport, compare, type RoundResult, summarise } from './lib/report.js';
import { findScenarios, type Scenario } from './lib/scenarios.js';
import {
  directTarget,
  type RunningTarget,
  type TargetFactory,
  TargetUnavailable,
} from './lib/targets.js';
import { maskingCostTable } from './masking-bench.js';
import { replicaReleaseNotes } from './replica-release.js';

const FACTORIES: Record<TargetName, TargetFactory> = {
  direct: directTarget,
  pgbouncer: pgbouncerTarget,
  'node-relay': nodeRelayTarget,
  gateway: gatewayTarget,
  'gateway-unrecorded': unrecordedGatewayTarget,
};

/** Everything started and not yet stopped, so Ctrl-C leaves no PgBouncer behind. */
const running = new Set<RunningTarget>();

async function startTargets(options: BenchOptions, scenario: Scenario, notes: string[]) {
  const targets: RunningTarget[] = [];
  for (const name of options.targets) {
    let target: RunningTarget;
    try {
      target = await FACTORIES[name](options.upstream, scenario);
    } catch (err) {
      if (!(err instanceof TargetUnavailable)) {
        await stopTargets(targets);
        throw err;
      }
      console.log(`skipping ${name}: ${err.message}`);
      notes.push(`${name} skipped in ${scenario.name}: ${err.message}`);
      continue;
    }
    running.add(target);
    targets.push(target);
  }
  return targets;
}

async function stopTargets(targets: RunningTarget[]): Promise<void> {
  for (const target of targets) {
    running.delete(target);
    await target
      .close()
      .catch((err: Error) => console.error(`stopping ${target.endpoint.label}: ${err.message}`));
  }
}

async function runScenario(
  options: BenchOptions,
  scenario: Scenario,
  rounds: RoundResult[],
  notes: string[],
) {
  const targets = await startTargets(options, scenario, notes);
  try {
    for (const mode of options.modes) {
      for (const clients of options.clients) {
        const tag = `[${scenario.name} ${mode} c=${clients}]`;
        const base = { script: scenario.script, mode, clients };
        if (options.warmupSeconds > 0) {
          for (const { endpoint } of targets)
            await runPgbench({ ...base, endpoint, seconds: options.warmupSeconds });
        }
        // Alternate targets within each round so drift (caches, other load) hits all alike.
        for (let round = 1; round <= options.rounds; round++) {
          for (const { endpoint, cpuMicros, auditCommits } of targets) {
            const cpuBefore = cpuMicros?.();
            const auditBefore = auditCommits?.();
            const result = await runPgbench({ ...base, endpoint, seconds: options.seconds });
            const cpuUs = cpuBefore === undefined ? undefined : cpuMicros!() - cpuBefore;
            const auditAfter = auditCommits?.();
            const commits = auditAfter && auditBefore && auditAfter.commits - auditBefore.commits;
            if (result.failed > 0)
              notes.push(
                `${tag} ${endpoint.label} round ${round}: ${result.failed} failed transactions`,
              );
            rounds.push({
              scenario: scenario.name,
              mode,
              clients,
              target: endpoint.label,
              round,
              ...result,
              ...(cpuUs !== undefined &&
                Number.isFinite(cpuUs) &&
                result.transactions > 0 && { cpuUsPerTx: cpuUs / result.transactions }),
              ...(commits && {
                auditRecordsPerCommit: (auditAfter!.records - auditBefore!.records) / commits,
              }),
            });
            console.log(
              `${tag} round ${round}/${options.rounds} ${endpoint.label.padEnd(9)} ` +
                `${result.tps.toFixed(0).padStart(7)} tps  ${result.latencyMs.toFixed(3)} ms`,
            );
          }
        }
      }
    }
  } finally {
    await stopTargets(targets);
  }
}

async function main(): Promise<void> {
  let options: BenchOptions | undefined;
  try {
    options = parseBenchOptions(process.argv.slice(2));
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  if (!options) {
    console.log(USAGE);
    return;
  }
  try {
    execFileSync('pgbench', ['--version'], { stdio: 'ignore' });
  } catch {
    throw new Error('pgbench is not on PATH (Debian/Ubuntu: apt-get install postgresql-contrib)');
  }
  const scenarios = findScenarios(options.scenarios);
  const startedAt = new Date().toISOString();
  await ensureBenchDatabase(options.upstream, options.scale, options.reinit);
  const environment = await describeEnvironment(options.upstream);
  const rounds: RoundResult[] = [];
  const notes: string[] = [
    'PgBouncer runs in session pooling (one server connection per client session, as the gateway opens one per session), trust auth.',
  ];
  for (const scenario of scenarios) await runScenario(options, scenario, rounds, notes);
  notes.push(...(await replicaReleaseNotes(options.upstream)));
  const maskingCost = maskingCostTable();
  const busy = loadNote(Number(environment['loadAverageAtStart']));
  if (busy) notes.push(busy);

  const summaries = summarise(rounds);
  const report: BenchReport = {
    startedAt,
    finishedAt: new Date().toISOString(),
    environment,
    options: Object.fromEntries(Object.entries(options).filter(([key]) => key !== 'outDir')),
    scenarios: scenarios.map(({ name, description }) => ({ name, description })),
    notes,
    rounds,
    summaries,
    comparisons: compare(summaries),
    maskingCost,
  };
  console.log(`\n${renderText(report)}`);
  if (options.outDir) {
    const written = await writeReport(report, options.outDir);
    console.log(`written: ${written.join(', ')}`);
  }
}

process.on('SIGINT', () => {
  console.error('\ninterrupted; stopping targets');
  void stopTargets([...running]).finally(() => process.exit(130));
});

main().catch((err: unknown) => {
  console.error(`bench: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
  void stopTargets([...running]);
});
