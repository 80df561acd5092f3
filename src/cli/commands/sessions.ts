import type { Command } from 'commander';
import { openStoreForReading } from '../../audit/read/open-for-reading.js';
import { getSession, listSessions } from '../../audit/read/session-queries.js';
import { sessionDetailView, sessionView } from '../../audit/read/session-view.js';
import { parseTimeArg } from '../../audit/read/time-arg.js';
import { formatReplay } from '../../audit/session-replay.js';
import type { Action } from '../../config/schema.js';
import { CONNECTOR_MODULES, replayFor } from '../../connectors/registry.js';
import type { Store } from '../../store/index.js';

interface ListOptions {
  config: string;
  connector?: string;
  subject?: string;
  since?: string;
  until?: string;
  decision?: string;
  limit: string;
  json?: boolean;
}

const DECISIONS = ['allow', 'deny', 'review'];

/** `gatehouse sessions list|show|replay`: browse the audit record, read from the store. */
export function registerSessionsCommand(program: Command): void {
  const sessions = program
    .command('sessions')
    .description('browse recorded sessions (reads the store named by the config)');

  sessions
    .command('list')
    .description('recorded sessions, most recent first')
    .option('-c, --config <file>', 'config file (for the store)', './gatehouse.yaml')
    .option('--connector <name>', 'only this connector')
    .option('--subject <subject>', 'only this identity')
    .option('--since <time>', 'started at or after (ISO 8601, or a duration ago: 24h)')
    .option('--until <time>', 'started before (ISO 8601, or a duration ago)')
    .option('--decision <action>', 'only sessions with a command that got allow | deny | review')
    .option('--limit <n>', 'at most this many (1-1000)', '100')
    .option('--json', 'print JSON')
    .action(async (options: ListOptions) => {
      const now = Date.now();
      if (options.decision !== undefined && !DECISIONS.includes(options.decision)) {
        throw new Error(`--decision must be one of ${DECISIONS.join(', ')}`);
      }
      const limit = Number(options.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
        throw new Error('--limit must be a whole number from 1 to 1000');
      }
      await withStore(options.config, async (store) => {
        const list = await listSessions(store, {
          connector: options.connector,
          subject: options.subject,
          since:
            options.since === undefined ? undefined : parseTimeArg(options.since, now, '--since'),
          until:
            options.until === undefined ? undefined : parseTimeArg(options.until, now, '--until'),
          decision: options.decision as Action | undefined,
          limit,
        });
        if (options.json) return print(list.map(sessionView));
        if (list.length === 0) return console.log('no sessions');
        for (const s of list) {
          const who = `${s.identity.name ?? s.identity.subject}${s.identity.agent ? ' (agent)' : ''}`;
          const end = s.endedAt === undefined ? 'open' : `ended: ${s.endReason ?? ''}`;
          console.log(
            `${s.id}  ${new Date(s.startedAt).toISOString()}  ${s.connector}  ${who}  ${s.commandCount} command(s)  ${end}`,
          );
        }
      });
    });

  sessions
    .command('show')
    .argument('<id>')
    .description('one session with its commands, decisions, tickets and outcomes')
    .option('-c, --config <file>', 'config file (for the store)', './gatehouse.yaml')
    .option('--json', 'print JSON (includes captured results)')
    .action(async (id: string, options: { config: string; json?: boolean }) => {
      await withStore(options.config, async (store) => {
        const session = await found(store, id);
        if (options.json) return print(sessionDetailView(session));
        const { identity, client } = session;
        console.log(
          [
            `session    ${session.id}`,
            `connector  ${session.connector} (${session.protocol})`,
            `identity   ${identity.name ?? identity.subject} [${identity.agent ? 'agent' : 'human'}] ${identity.issuerName} groups: ${identity.groups.join(', ') || '-'}`,
            `client     ${client.address}${client.port ? `:${client.port}` : ''} ${client.tls ? 'TLS' : 'no TLS'}`,
            `started    ${new Date(session.startedAt).toISOString()}`,
            `ended      ${session.endedAt === undefined ? '-' : `${new Date(session.endedAt).toISOString()} (${session.endReason ?? ''})`}`,
          ].join('\n'),
        );
        for (const c of session.commands) {
          const outcome = c.outcome
            ? c.outcome.error
              ? `error ${c.outcome.error.code ?? ''} ${c.outcome.error.message}`.trim()
              : (c.outcome.tag ?? '')
            : c.executedText === undefined
              ? 'not executed'
              : 'no outcome recorded';
          const ticket = c.ticketId ? ` ticket ${c.ticketId}` : '';
          const took = c.outcome ? ` ${c.outcome.durationMs} ms` : '';
          console.log(
            `#${c.seq}  ${c.decision.action}${c.decision.rule ? ` (${c.decision.rule})` : ''}${ticket}  ${oneLine(c.text, 70)}  → ${outcome}${took}`,
          );
        }
      });
    });

  sessions
    .command('replay')
    .argument('<id>')
    .description('print the session as it happened: each command with its result, in order, timed')
    .option('-c, --config <file>', 'config file (for the store)', './gatehouse.yaml')
    .action(async (id: string, options: { config: string }) => {
      await withStore(options.config, async (store) => {
        const session = await found(store, id);
        process.stdout.write(formatReplay(session, replayFor(session.protocol)));
      });
    });
}

async function withStore(config: string, work: (store: Store) => Promise<void>): Promise<void> {
  const store = await openStoreForReading(config, CONNECTOR_MODULES);
  try {
    await work(store);
  } finally {
    await store.close();
  }
}

async function found(store: Store, id: string) {
  const session = await getSession(store, id);
  if (!session) throw new Error(`no session ${id}`);
  return session;
}

const print = (value: unknown) => console.log(JSON.stringify(value, null, 2));
const oneLine = (text: string, max: number) => {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
};
