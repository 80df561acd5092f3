import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import pg from 'pg';
import { parseDuration } from '../../config/duration.js';
import { isLoopback } from '../../config/schema.js';
import {
  addRemoteOptions,
  loadClientConfig,
  type RemoteOptions,
  resolveToken,
} from '../cli-context.js';
import { cliMessage, unprefixed } from '../cli-message.js';

/** Exit codes of `gatehouse exec` (docs/cli.md). */
export const EXIT = { executed: 0, error: 1, denied: 2, timedOut: 3 } as const;

interface ExecOptions extends RemoteOptions {
  e?: string;
  file?: string;
  wait: string;
  reason?: string;
  database?: string;
  host?: string;
}

/**
 * `gatehouse exec <connector> -e SQL | -f FILE [--wait 10m]`: runs through the gateway like any
 * client, waits for approval when policy holds the command (re-sending the identical command
 * re-attaches to the same ticket), prints results; exit 0 executed, 2 denied, 3 timed out.
 */
export function registerExecCommand(program: Command): void {
  addRemoteOptions(program.command('exec').argument('<connector>'))
    .description('run a command through the gateway, waiting for approval if it is held')
    .option('-e <text>', 'command text')
    .option('-f, --file <file>', 'read the command from a file (e.g. a migration)')
    .option('--wait <duration>', 'how long to wait for a review decision', '10m')
    .option('--reason <text>', 'why you need this; shown to reviewers')
    .option('-d, --database <name>', 'database to connect to')
    .option(
      '--host <host>',
      "gateway host (default: the connector's listen address); TLS unless loopback",
    )
    .action(async (connectorName: string, options: ExecOptions) => {
      process.exitCode = await exec(connectorName, options);
    });
}

async function exec(connectorName: string, options: ExecOptions): Promise<number> {
  if (!options.e === !options.file) throw new Error('give exactly one of -e TEXT or -f FILE');
  const text = options.e ?? (await readFile(options.file!, 'utf8'));
  const waitMs = parseDuration(options.wait);
  if (waitMs === undefined) throw new Error(`--wait: invalid duration "${options.wait}"`);
  const config = await loadClientConfig(options.config);
  const connector = config?.connectors.find((c) => c.name === connectorName);
  if (!connector) throw new Error(`no connector "${connectorName}" in ${options.config}`);
  if (connector.type !== 'postgres')
    throw new Error(`exec supports postgres connectors; "${connectorName}" is ${connector.type}`);

  const deadline = Date.now() + waitMs;
  const token = resolveToken(options);
  const printedNotices = new Set<string>();
  for (;;) {
    const remaining = deadline - Date.now();
    const outcome = await attempt(
      connector.listen,
      token,
      text,
      options,
      remaining,
      printedNotices,
    );
    if (outcome !== 'retry') return outcome;
    if (Date.now() >= deadline) {
      process.stderr.write(
        cliMessage(`no decision within ${options.wait}; the ticket stays open until it expires`),
      );
      return EXIT.timedOut;
    }
  }
}

async function attempt(
  listen: { host: string; port: number },
  token: string,
  text: string,
  options: ExecOptions,
  remainingMs: number,
  printedNotices: Set<string>,
): Promise<number | 'retry'> {
  const host = options.host ?? (listen.host === '0.0.0.0' ? '127.0.0.1' : listen.host);
  const client = new pg.Client({
    host,
    port: listen.port,
    // Tokens travel in the password message: anything but loopback goes over verified TLS.
    ssl: isLoopback(host) ? false : { rejectUnauthorized: true, servername: host },
    user: 'gatehouse-exec',
    database: options.database,
    password: token,
    options: options.reason ? `-c gatehouse.reason=${escapeOption(options.reason)}` : undefined,
  });
  client.on('notice', (notice) => {
    const line = cliMessage(`${notice.message}${notice.hint ? ` (${notice.hint})` : ''}`);
    // A retry after the gateway's wait re-attaches to the same ticket and gets the same notice.
    if (printedNotices.has(line)) return;
    printedNotices.add(line);
    process.stderr.write(line);
  });
  client.on('error', () => undefined);
  let timer: NodeJS.Timeout | undefined;
  try {
    await client.connect();
    const timeout = new Promise<'retry'>((resolve) => {
      timer = setTimeout(() => resolve('retry'), Math.max(remainingMs, 0));
    });
    const result = await Promise.race([client.query(text), timeout]);
    if (result === 'retry') return 'retry';
    printResults(Array.isArray(result) ? result : [result]);
    return EXIT.executed;
  } catch (err) {
    const error = err as pg.DatabaseError;
    if (error.code === '42501') {
      process.stderr.write(
        cliMessage(
          `denied: ${unprefixed(error.message)}${error.detail ? `\n  ${error.detail}` : ''}`,
        ),
      );
      return EXIT.denied;
    }
    if (isApprovalTimeout(error)) {
      process.stderr.write(cliMessage(error.message));
      return 'retry';
    }
    process.stderr.write(
      cliMessage(`${error.message}${error.detail ? `\n  ${error.detail}` : ''}`),
    );
    return EXIT.error;
  } finally {
    clearTimeout(timer);
    await client.end().catch(() => undefined);
  }
}

/**
 * The gateway's approval timeout: SQLSTATE 57014 with its own message prefix (a statement the
 * target cancelled has the same SQLSTATE, but then the command ran and must not be re-sent).
 */
function isApprovalTimeout(error: pg.DatabaseError): boolean {
  return error.code === '57014' && /^gatehouse: approval /.test(error.message ?? '');
}

function printResults(results: pg.QueryResult[]): void {
  for (const result of results) {
    if (result.fields?.length) {
      console.log(result.fields.map((f) => f.name).join('\t'));
      for (const row of result.rows as Record<string, unknown>[]) {
        console.log(result.fields.map((f) => formatValue(row[f.name])).join('\t'));
      }
    }
    console.log(`${result.command ?? ''} ${result.rowCount ?? ''}`.trim());
  }
}

function formatValue(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** Startup `options` are space-separated with backslash escapes. */
const escapeOption = (text: string) => text.replace(/\\/g, '\\\\').replace(/ /g, '\\ ');
