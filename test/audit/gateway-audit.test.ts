import { writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { getSession, listSessions } from '../../src/audit/read/session-queries.js';
import type { SessionWithCommands } from '../../src/audit/record/records.js';
import { openStore } from '../../src/store/index.js';
import { runCli } from '../helpers/cli.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { createDatabase, type TestDatabase } from '../helpers/pg-db.js';
import { runProcess } from '../helpers/process.js';
import { libpqArgs, libpqEnv } from '../helpers/psql.js';
import { requireCommands, requirePostgres } from '../helpers/services.js';
import { copyStore } from './store-copy.js';

const ready = (await requirePostgres()) && requireCommands(['psql', 'stdbuf']);

const STATEMENTS = [
  'create table t (id int, name text)',
  `insert into t values (1, 'alice'), (22, 'bob')`,
  'select * from t order by id',
  'select 1/0',
  'drop table t',
  'select count(*) as n from t',
];

/**
 * The audit record of a real session, read back every way an operator can: the API (with its
 * reader check), `gatehouse sessions`/`audit` from the store, and the replay, which must show
 * what the psql user saw.
 */
describe.skipIf(!ready)('audit of a gateway session', () => {
  let target: TestDatabase;
  let gw: TestGateway;
  let psqlOutput = '';
  let sessionId = '';
  let reader = '';

  const api = (path: string, token?: string) =>
    fetch(`${gw.gateway.apiUrl}${path}`, {
      headers: token ? { authorization: `Bearer ${token}` } : {},
    });

  beforeAll(async () => {
    target = await createDatabase('gh_audit_gw');
    gw = await startTestGateway({
      database: target.name,
      rules: [{ name: 'no-drops', when: { statement: ['drop_table'] }, action: 'deny' }],
      configure: (config) => {
        config['audit'] = { readers: ['auditors'] };
      },
    });
    const client = { host: gw.host, port: gw.port, user: 'replayer', database: target.name };
    const password = await gw.token('replayer', { groups: ['dev'], agent: true });
    const env = libpqEnv({ ...client, password });
    // Line-buffered so psql's errors (stderr) and results (stdout) interleave as on a terminal.
    const shown = await runProcess(
      'sh',
      ['-c', `stdbuf -oL psql ${libpqArgs(client).join(' ')} -X -e -f - 2>&1`],
      { env, input: `${STATEMENTS.join(';\n')};\n` },
    );
    psqlOutput = shown.stdout;
    reader = await gw.token('auditor', { groups: ['auditors'] });
    const [session] = await listSessions(gw.gateway.store, { subject: 'replayer' });
    sessionId = session!.id;
  });
  afterAll(async () => {
    await gw?.close();
    await target?.drop();
  });

  it('lets audit readers, and only them, list and read sessions', async () => {
    expect((await api('/api/sessions')).status).toBe(401);
    const outsider = await api('/api/sessions', await gw.token('dev-1', { groups: ['dev'] }));
    expect(outsider.status).toBe(403);
    expect(await outsider.json()).toMatchObject({
      error: 'access_denied',
      hint: 'audit readers are the groups: auditors',
    });

    const list = await api('/api/sessions?subject=replayer&decision=deny', reader);
    expect(list.status).toBe(200);
    expect(await list.json()).toEqual([
      expect.objectContaining({
        id: sessionId,
        connector: 'pg',
        identity: expect.objectContaining({ subject: 'replayer', agent: true, groups: ['dev'] }),
        commandCount: STATEMENTS.length,
        startedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      }),
    ]);
    expect(
      await (await api('/api/sessions?subject=replayer&decision=review', reader)).json(),
    ).toEqual([]);
    expect((await api('/api/sessions?since=yesterday', reader)).status).toBe(400);

    const detail = await api(`/api/sessions/${sessionId}`, reader);
    const session = (await detail.json()) as {
      commands: Array<{
        seq: number;
        text: string;
        decision: { action: string; rule?: string };
        outcome?: { tag?: string; error?: { code?: string } };
      }>;
    };
    expect(session.commands.map((c) => [c.seq, c.decision.action])).toEqual([
      [1, 'allow'],
      [2, 'allow'],
      [3, 'allow'],
      [4, 'allow'],
      [5, 'deny'],
      [6, 'allow'],
    ]);
    expect(session.commands[4]).toMatchObject({ decision: { rule: 'no-drops' } });
    expect(session.commands[4]).not.toHaveProperty('executedText');
    expect(session.commands[1]?.outcome).toMatchObject({ tag: 'INSERT 0 2' });
    expect(session.commands[3]?.outcome?.error).toMatchObject({ code: '22012' });
    expect((await api('/api/sessions/no-such-session', reader)).status).toBe(404);
  });

  it('verifies and exports through the API, streamed', async () => {
    const verify = await api('/api/audit/verify', reader);
    const report = (await verify.json()) as {
      ok: boolean;
      records: number;
      head: { seq: number; hash: string };
    };
    expect(report).toMatchObject({ ok: true, chains: 1 });
    const anchored = await api(
      `/api/audit/verify?anchor=${report.head.seq}:${report.head.hash}`,
      reader,
    );
    expect(await anchored.json()).toMatchObject({ ok: true });
    expect((await api('/api/audit/verify?anchor=nonsense', reader)).status).toBe(400);
    expect((await api('/api/audit/verify', await gw.token('x', { groups: ['dev'] }))).status).toBe(
      403,
    );

    const jsonl = await api('/api/audit/export?format=jsonl', reader);
    expect(jsonl.headers.get('content-type')).toMatch(/^application\/x-ndjson/);
    const lines = (await jsonl.text()).trimEnd().split('\n');
    expect(lines.length).toBeGreaterThanOrEqual(report.records);
    expect(JSON.parse(lines[0]!)).toMatchObject({ seq: 1, kind: 'session_start' });
    const csv = await api('/api/audit/export?format=csv&since=1h', reader);
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    expect((await csv.text()).split('\r\n')[0]).toMatch(/^seq,recorded_at,kind,/);
    expect((await api('/api/audit/export?format=xml', reader)).status).toBe(400);
    const openapi = (await (await api('/api/openapi.json')).json()) as {
      paths: Record<string, unknown>;
    };
    expect(Object.keys(openapi.paths)).toEqual(
      expect.arrayContaining([
        '/api/sessions',
        '/api/sessions/{id}',
        '/api/audit/verify',
        '/api/audit/export',
      ]),
    );
  });

  // The CLI runs as separate node processes from the sources; each start costs seconds on a
  // loaded machine, hence the longer timeouts below.
  it('replays the session as the psql user saw it', { timeout: 120_000 }, async () => {
    const replay = await runCli(['sessions', 'replay', sessionId, '-c', gw.configFile]);
    expect(replay.stderr).toBe('');
    expect(replay.code).toBe(0);
    const session = (await getSession(gw.gateway.store, sessionId)) as SessionWithCommands;
    const seen = psqlBlocks(psqlOutput);
    const replayed = replayBlocks(replay.stdout);
    // psql sends each statement with its semicolon, and echoes it the same way.
    expect(replayed.map((b) => b.text)).toEqual(STATEMENTS.map((s) => `${s};`));
    expect(seen.map((b) => b.text)).toEqual(STATEMENTS.map((s) => `${s};`));
    for (const [i, command] of session.commands.entries()) {
      const tag = command.outcome?.tag;
      if (tag?.startsWith('SELECT') && !command.outcome?.result) {
        // No rows captured by the connector: the replay shows the tag, psql showed the count.
        expect(replayed[i]!.shown).toEqual([tag]);
        expect(seen[i]!.shown.at(-1)).toBe(
          `(${command.outcome?.rows} ${command.outcome?.rows === 1 ? 'row' : 'rows'})`,
        );
      } else {
        expect(replayed[i]!.shown, STATEMENTS[i]).toEqual(seen[i]!.shown);
      }
    }
    expect(replay.stdout).toMatch(/Time: \d+ ms/);
  });

  it('browses, verifies and exports from the store with the CLI', {
    timeout: 120_000,
  }, async () => {
    const list = await runCli(['sessions', 'list', '-c', gw.configFile, '--subject', 'replayer']);
    expect(list.code).toBe(0);
    expect(list.stdout).toContain(sessionId);
    expect(list.stdout).toContain(`${STATEMENTS.length} command(s)`);
    const show = await runCli(['sessions', 'show', sessionId, '-c', gw.configFile]);
    expect(show.stdout).toMatch(/#5 {2}deny \(no-drops\) {2}drop table t; {2}→ not executed\n/);
    const verify = await runCli(['audit', 'verify', '-c', gw.configFile]);
    expect(verify.code).toBe(0);
    expect(verify.stdout).toMatch(/^ok: \d+ records, chains: 1\n/);
    const csv = await runCli(['audit', 'export', '--format', 'csv', '-c', gw.configFile]);
    expect(csv.code).toBe(0);
    expect(csv.stdout.split('\r\n').filter(Boolean).length).toBeGreaterThan(STATEMENTS.length * 2);
    const bad = await runCli(['audit', 'export', '--format', 'xml', '-c', gw.configFile]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('--format must be jsonl or csv');
    const missing = await runCli(['sessions', 'show', 'nope', '-c', gw.configFile]);
    expect(missing).toMatchObject({ code: 1, stderr: 'gatehouse: no session nope\n' });
  });

  it('names the first broken record of a tampered copy, exit 1', { timeout: 120_000 }, async () => {
    const storeUrl = (await openStoreUrl(gw.configText)).url;
    const copy = await copyStore(storeUrl);
    try {
      const store = await openStore(copy.url);
      await store.db
        .updateTable('audit_events')
        .set({ data: '{"reason":"nothing to see"}' })
        .where('seq', '=', 3)
        .execute();
      await store.close();
      const config = join(dirname(copy.url.slice('sqlite:'.length)), 'copy.yaml');
      const yaml = (await openStoreUrl(gw.configText)).config;
      await writeFile(config, stringify({ ...yaml, store: { url: copy.url } }));
      const verify = await runCli(['audit', 'verify', '-c', config]);
      expect(verify.code).toBe(1);
      expect(verify.stdout).toMatch(
        /^broken: record 3 \(chain main\): edited: record 3 does not match its hash\n2 records checked before it\n$/,
      );
    } finally {
      await copy.drop();
    }
  });
});

async function openStoreUrl(configText: string) {
  const { parse } = await import('yaml');
  const config = parse(configText) as { store: { url: string } };
  return { url: config.store.url, config };
}

interface Block {
  text: string;
  shown: string[];
}

/** psql -e output: each echoed statement, then what came back (errors without their prefix). */
function psqlBlocks(output: string): Block[] {
  const blocks: Block[] = [];
  for (const line of output.split('\n')) {
    const statement = STATEMENTS.find((s) => line === `${s};`);
    if (statement !== undefined) blocks.push({ text: line, shown: [] });
    else if (line.trim() && !/^(DETAIL|HINT|CONTEXT): {2}/.test(line))
      blocks.at(-1)?.shown.push(line.replace(/^psql:<stdin>:\d+: /, ''));
  }
  return blocks;
}

/** Replay output: each command's text, then what it shows (comments, timing, details dropped). */
function replayBlocks(output: string): Block[] {
  const blocks: Block[] = [];
  let expectText = false;
  for (const line of output.split('\n')) {
    if (line.startsWith('-- #')) {
      expectText = true;
      continue;
    }
    if (expectText) {
      blocks.push({ text: line, shown: [] });
      expectText = false;
    } else if (line.trim() && !line.startsWith('-- ') && !/^(Time|DETAIL|HINT):/.test(line)) {
      blocks.at(-1)?.shown.push(line);
    }
  }
  return blocks;
}
