import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { formatIssue } from '../../config/config-error.js';
import { parseDuration } from '../../config/duration.js';
import { addRemoteOptions, callApi, type RemoteOptions, requestApi } from '../cli-context.js';
import { cliMessage } from '../cli-message.js';

/** Exit codes of `policy apply` and `policy rollback`, as `gatehouse exec` (docs/cli.md). */
export const POLICY_EXIT = { applied: 0, error: 1, denied: 2, timedOut: 3 } as const;

/** How often a held change is sent again to pick up the decision. */
const RETRY_MS = 1000;

interface VersionJson {
  version: number;
  createdAt: string;
  author: { issuer: string; subject: string; name?: string };
  reason?: string;
  ticketId?: string;
  digest: string;
  document?: string;
}

interface SubmitJson {
  changed?: boolean;
  version?: VersionJson;
  ticket?: { id: string; url: string; approvers: string[]; approvalsRequired: number };
  error?: string;
  message?: string;
  hint?: string;
  issues?: Array<{ path: string; line?: number; column?: number; message: string }>;
}

type SubmitOptions = RemoteOptions & { reason?: string; wait: string };

/**
 * `gatehouse policy apply|history|diff|rollback|export`: central, versioned policy over the
 * gateway's API (docs/policy.md, "Central policy").
 */
export function registerPolicyVersionCommands(policy: Command): void {
  addRemoteOptions(policy.command('apply'))
    .description(
      'apply a policy document (a config file or excerpt: connectors[].name/default/rules/masking) as a new version',
    )
    .requiredOption('-f, --file <file>', 'the document (YAML)')
    .option('--reason <text>', 'why; recorded with the version and shown to reviewers')
    .option('--wait <duration>', 'how long to wait for a review decision', '10m')
    .action(async (options: SubmitOptions & { file: string }) => {
      const text = await readFile(options.file, 'utf8');
      process.exitCode = await submit(
        options,
        '/api/policy',
        { document: text, reason: options.reason },
        options.file,
      );
    });

  addRemoteOptions(policy.command('rollback').argument('<version>'))
    .description("apply an earlier version's document again, as a new version")
    .option('--reason <text>', 'why (default: "rollback to version N")')
    .option('--wait <duration>', 'how long to wait for a review decision', '10m')
    .action(async (version: string, options: SubmitOptions) => {
      process.exitCode = await submit(
        options,
        '/api/policy/rollback',
        { version: versionNumber(version), reason: options.reason },
        `policy version ${version}`,
      );
    });

  addRemoteOptions(policy.command('history'))
    .description('list the versions: number, when, who, why')
    .option('--json', 'print JSON')
    .action(async (options: RemoteOptions & { json?: boolean }) => {
      const versions = await callApi<VersionJson[]>(options, 'GET', '/api/policy/versions');
      if (options.json) return console.log(JSON.stringify(versions, null, 2));
      if (versions.length === 0)
        return console.log('no central policy versions: the YAML config is in force');
      const rows = versions.map((v) => [
        String(v.version),
        v.createdAt,
        v.author.name ?? v.author.subject,
        `${v.reason ?? ''}${v.ticketId ? ` [ticket ${v.ticketId}]` : ''}`,
      ]);
      printTable([['VERSION', 'WHEN', 'WHO', 'WHY'], ...rows]);
    });

  addRemoteOptions(policy.command('diff').argument('<a>').argument('<b>'))
    .description('show what changed from version A to version B')
    .action(async (a: string, b: string, options: RemoteOptions) => {
      const [from, to] = await Promise.all(
        [a, b].map((n) =>
          callApi<VersionJson>(options, 'GET', `/api/policy/versions/${versionNumber(n)}`),
        ),
      );
      process.stdout.write(
        unifiedDiff(from!.document ?? '', to!.document ?? '', describe(from!), describe(to!)),
      );
    });

  addRemoteOptions(policy.command('export'))
    .description('print the document of the version in force (or --version N), as YAML')
    .option('--version <n>', 'an earlier version')
    .action(async (options: RemoteOptions & { version?: string }) => {
      const path =
        options.version === undefined
          ? '/api/policy'
          : `/api/policy/versions/${versionNumber(options.version)}`;
      const version = await callApi<VersionJson>(options, 'GET', path);
      process.stdout.write(version.document ?? '');
    });
}

/**
 * Sends a change and, while it is held for review, the identical request again until it is
 * decided (as `gatehouse exec` does): 0 applied, 1 invalid or error, 2 denied, 3 timed out.
 */
async function submit(
  options: SubmitOptions,
  path: string,
  body: unknown,
  source: string,
): Promise<number> {
  const waitMs = parseDuration(options.wait);
  if (waitMs === undefined) throw new Error(`--wait: invalid duration "${options.wait}"`);
  const deadline = Date.now() + waitMs;
  const announced = new Set<string>();
  for (;;) {
    const { status, payload } = await requestApi<SubmitJson>(options, 'POST', path, body);
    if (status === 201 || status === 200) {
      const version = payload.version!;
      console.log(
        status === 201
          ? `applied: policy version ${version.version}`
          : `unchanged: policy version ${version.version} already has this document`,
      );
      return POLICY_EXIT.applied;
    }
    if (status === 202 && payload.ticket) {
      const ticket = payload.ticket;
      if (!announced.has(ticket.id)) {
        announced.add(ticket.id);
        process.stderr.write(
          cliMessage(
            `held for review: ticket ${ticket.id} (approvers: ${ticket.approvers.join(', ')}) ${ticket.url}`,
          ),
        );
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        process.stderr.write(
          cliMessage(`no decision within ${options.wait}; the ticket stays open until it expires`),
        );
        return POLICY_EXIT.timedOut;
      }
      await new Promise((resolve) => setTimeout(resolve, Math.min(RETRY_MS, left)));
      continue;
    }
    if (status === 400 && payload.issues) {
      for (const issue of payload.issues) process.stderr.write(`${formatIssue(source, issue)}\n`);
      process.stderr.write(cliMessage(payload.message ?? 'the policy document is invalid'));
      return POLICY_EXIT.error;
    }
    if (status === 403 && payload.error === 'policy_denied') {
      process.stderr.write(cliMessage(`denied: ${payload.message ?? 'denied by review'}`));
      return POLICY_EXIT.denied;
    }
    const hint = payload.hint ? ` (${payload.hint})` : '';
    process.stderr.write(
      cliMessage(`${payload.message ?? `HTTP ${status}`}${hint} (${payload.error ?? status})`),
    );
    return POLICY_EXIT.error;
  }
}

function versionNumber(text: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`"${text}" is not a version number`);
  return n;
}

function describe(v: VersionJson): string {
  return `policy version ${v.version} (${v.createdAt}, ${v.author.name ?? v.author.subject}${v.reason ? `: ${v.reason}` : ''})`;
}

function printTable(rows: string[][]): void {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  for (const row of rows) {
    console.log(
      row
        .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!)))
        .join('  ')
        .trimEnd(),
    );
  }
}

/** A unified diff of two texts by line (longest common subsequence), with 3 lines of context. */
export function unifiedDiff(a: string, b: string, fromLabel: string, toLabel: string): string {
  const x = a.split('\n');
  const y = b.split('\n');
  if (x.at(-1) === '') x.pop();
  if (y.at(-1) === '') y.pop();
  // lcs[i][j]: length of the common subsequence of x[i..] and y[j..].
  const lcs = Array.from({ length: x.length + 1 }, () => new Array<number>(y.length + 1).fill(0));
  for (let i = x.length - 1; i >= 0; i--) {
    for (let j = y.length - 1; j >= 0; j--) {
      lcs[i]![j] =
        x[i] === y[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
    }
  }
  type Line = { mark: ' ' | '-' | '+'; text: string; ai: number; bi: number };
  const lines: Line[] = [];
  let i = 0;
  let j = 0;
  while (i < x.length || j < y.length) {
    if (i < x.length && j < y.length && x[i] === y[j]) {
      lines.push({ mark: ' ', text: x[i]!, ai: i++, bi: j++ });
    } else if (i < x.length && (j >= y.length || lcs[i + 1]![j]! >= lcs[i]![j + 1]!)) {
      lines.push({ mark: '-', text: x[i]!, ai: i++, bi: j });
    } else {
      lines.push({ mark: '+', text: y[j]!, ai: i, bi: j++ });
    }
  }
  const changed = lines.flatMap((line, index) => (line.mark === ' ' ? [] : [index]));
  if (changed.length === 0) return '(the documents are identical)\n';
  const out = [`--- ${fromLabel}`, `+++ ${toLabel}`];
  const context = 3;
  let start = 0;
  while (start < changed.length) {
    let end = start;
    while (end + 1 < changed.length && changed[end + 1]! - changed[end]! <= 2 * context + 1) end++;
    const from = Math.max(0, changed[start]! - context);
    const to = Math.min(lines.length - 1, changed[end]! + context);
    const hunk = lines.slice(from, to + 1);
    const aCount = hunk.filter((l) => l.mark !== '+').length;
    const bCount = hunk.filter((l) => l.mark !== '-').length;
    out.push(
      `@@ -${hunk[0]!.ai + (aCount ? 1 : 0)},${aCount} +${hunk[0]!.bi + (bCount ? 1 : 0)},${bCount} @@`,
    );
    for (const line of hunk) out.push(`${line.mark}${line.text}`);
    start = end + 1;
  }
  return `${out.join('\n')}\n`;
}
