import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BenchReport } from './report.js';

type Cell = string | number | null;

const fixed = (digits: number) => (value: number | null) =>
  value === null || !Number.isFinite(value) ? '–' : value.toFixed(digits);
const ratio = fixed(2);

function table(headers: string[], rows: Cell[][], markdown: boolean): string {
  const text = rows.map((row) => row.map((cell) => (cell === null ? '–' : String(cell))));
  if (markdown) {
    const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
    return [line(headers), line(headers.map(() => '---')), ...text.map(line)].join('\n');
  }
  const widths = headers.map((h, i) => Math.max(h.length, ...text.map((row) => row[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (i < 3 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!)))
      .join('  ');
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...text.map(line)].join('\n');
}

function summaryTable(report: BenchReport, markdown: boolean): string {
  return table(
    [
      'scenario',
      'mode',
      'target',
      'clients',
      'rounds',
      'tps',
      '± %',
      'latency ms',
      'cpu µs/tx',
      'audit records/commit',
    ],
    report.summaries.map((s) => [
      s.scenario,
      s.mode,
      s.target,
      s.clients,
      s.rounds,
      fixed(0)(s.tps),
      fixed(1)(s.tpsSpreadPct),
      fixed(3)(s.latencyMs),
      fixed(1)(s.cpuUsPerTx),
      fixed(1)(s.auditRecordsPerCommit),
    ]),
    markdown,
  );
}

function comparisonTable(report: BenchReport, markdown: boolean): string {
  return table(
    [
      'scenario',
      'mode',
      'clients',
      'tps gw/direct',
      'tps gw/bouncer',
      'tps gw/relay',
      'tps unrecorded/bouncer',
      'cpu gw/bouncer',
      'lat gw/direct',
      'lat gw/bouncer',
      'added µs gw',
      'added µs bouncer',
      'added-latency ratio',
    ],
    report.comparisons.map((c) => [
      c.scenario,
      c.mode,
      c.clients,
      ratio(c.tpsVsDirect),
      ratio(c.tpsVsPgbouncer),
      ratio(c.tpsVsNodeRelay),
      ratio(c.unrecordedVsPgbouncer),
      ratio(c.cpuVsPgbouncer),
      ratio(c.latencyVsDirect),
      ratio(c.latencyVsPgbouncer),
      fixed(0)(c.gatewayAddedUs),
      fixed(0)(c.pgbouncerAddedUs),
      ratio(c.addedLatencyRatio),
    ]),
    markdown,
  );
}

/** The tables as printed at the end of a run. */
export function renderText(report: BenchReport): string {
  const parts = [summaryTable(report, false)];
  if (report.comparisons.length > 0) parts.push(comparisonTable(report, false));
  if (report.maskingCost) parts.push(report.maskingCost.join('\n'));
  parts.push(...report.notes.map((note) => `note: ${note}`));
  return `${parts.join('\n\n')}\n`;
}

export function renderMarkdown(report: BenchReport): string {
  const env = Object.entries(report.environment).map(([k, v]) => `- ${k}: ${v}`);
  const options = Object.entries(report.options).map(([k, v]) => `- ${k}: ${JSON.stringify(v)}`);
  const scenarios = report.scenarios.map((s) => `- **${s.name}**: ${s.description}`);
  return [
    `# Gatehouse benchmark, ${report.startedAt}`,
    '',
    'pgbench against PostgreSQL directly, through PgBouncer (session pooling), through a bare',
    'Node TCP relay (node-relay: copies bytes, reads nothing; the floor for a proxy in Node),',
    'through the gateway and through gateway-unrecorded (diagnostic, not a configuration: the',
    'same gateway with command records discarded, i.e. what framing, classifying and deciding',
    'cost without recording); rounds alternate between targets. tps and latency are means over',
    'rounds; "± %" is the spread of tps between rounds; "cpu µs/tx" is the CPU time the proxy',
    "process used per transaction (PgBouncer's from /proc, the others' from process.cpuUsage),",
    'which varies less than tps on a busy machine; "audit records/commit" is the gateway\'s group',
    'commit batch size (two records per statement: the decision, then the outcome). Added latency = target latency − direct',
    'latency; added-latency ratio = (gateway − direct) / (pgbouncer − direct).',
    '',
    '## Scenarios',
    ...scenarios,
    '',
    '## Results',
    summaryTable(report, true),
    '',
    '## Gateway compared',
    report.comparisons.length > 0 ? comparisonTable(report, true) : '(gateway not measured)',
    '',
    ...(report.maskingCost
      ? [
          '## Masking cost per result cell (ns; fastest of 15 rounds)',
          '```',
          ...report.maskingCost,
          '```',
          '',
        ]
      : []),
    ...(report.notes.length > 0 ? ['## Notes', ...report.notes.map((n) => `- ${n}`), ''] : []),
    '## Environment',
    ...env,
    '',
    '## Options',
    ...options,
    '',
  ].join('\n');
}

/** Writes `<stamp>.json`, `<stamp>.md` and `latest.md`; returns the paths written. */
export async function writeReport(report: BenchReport, dir: string): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const stamp = report.startedAt.replace(/[:]/g, '-').replace(/\.\d+Z$/, 'Z');
  const markdown = renderMarkdown(report);
  const files: Array<[string, string]> = [
    [join(dir, `${stamp}.json`), `${JSON.stringify(report, null, 2)}\n`],
    [join(dir, `${stamp}.md`), markdown],
    [join(dir, 'latest.md'), markdown],
  ];
  for (const [path, content] of files) await writeFile(path, content);
  return files.map(([path]) => path);
}
