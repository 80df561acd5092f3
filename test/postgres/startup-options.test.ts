/**
 * The startup parameter `options` (PGOPTIONS): each setting is classified as the SET it amounts
 * to, decided by the policy, recorded as a command of the session, and applied on the target.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestConnector, type TestConnector } from '../helpers/pg-connector.js';
import { runProcess } from '../helpers/process.js';
import { libpqArgs, libpqEnv } from '../helpers/psql.js';

let gw: TestConnector;

beforeAll(async () => {
  gw = await startTestConnector({
    connector: {
      rules: [
        {
          name: 'no-settings-for-interns',
          when: { statement: ['set'], groups: ['intern'] },
          action: 'deny',
          reason: 'interns keep the defaults',
        },
        { name: 'no-role-switching', when: { statement: ['admin'] }, action: 'deny' },
        {
          name: 'settings-need-review',
          when: { statement: ['set'], groups: ['contractor'] },
          action: 'review',
        },
      ],
    },
  });
});
afterAll(() => gw?.stop());

/** psql with PGOPTIONS, one command, unaligned tuples only. */
async function psqlWithOptions(options: string, sql: string, groups = ['dev']) {
  const target = {
    host: gw.host,
    port: gw.port,
    user: 'x',
    database: 'postgres',
    password: await gw.token({ groups }),
  };
  return runProcess('psql', [...libpqArgs(target), '-X', '-At', '-c', sql], {
    env: { ...libpqEnv(target), PGOPTIONS: options },
  });
}

const sessionCommands = (sessionId: string) =>
  gw.audit.commands.filter((c) => c.sessionId === sessionId);

describe('startup options through the gate', () => {
  it('applies -c settings on the target (PGOPTIONS with psql)', async () => {
    const result = await psqlWithOptions(
      '-c statement_timeout=5s -c intervalstyle=postgres_verbose',
      "show statement_timeout; select interval '1 day 2 hours'",
    );
    expect(result.stderr).toBe('');
    expect(result.stdout.trim().split('\n')).toEqual(['5s', '@ 1 day 2 hours']);
  });

  it('reads --name=value, -cname=value and backslash-escaped spaces', async () => {
    const result = await psqlWithOptions(
      '--lock-timeout=3s -cwork_mem=8MB -c search_path=public,"nightly\\ report"',
      "select current_setting('lock_timeout'), current_setting('work_mem'), current_setting('search_path')",
    );
    expect(result.stderr).toBe('');
    expect(result.stdout.trim()).toBe('3s|8MB|public,"nightly report"');
  });

  it('records each setting as a command of the session, with its outcome', async () => {
    const token = await gw.token({ sub: 'olga' });
    const client = new pg.Client(gw.pgConfig(token, { options: '-c statement_timeout=7s' }));
    await client.connect();
    expect((await client.query('show statement_timeout')).rows[0].statement_timeout).toBe('7s');
    await client.end();
    const session = gw.audit.sessions.find((s) => s.identity.subject === 'olga')!;
    const [setting, show] = sessionCommands(session.id);
    expect(setting).toMatchObject({
      seq: 1,
      command: { text: "SET statement_timeout = '7s'", classes: ['set'] },
      decision: { action: 'allow' },
    });
    expect(show?.command.text).toBe('show statement_timeout');
    const outcome = gw.audit.outcomes.find((o) => o.sessionId === session.id && o.seq === 1);
    expect(outcome?.outcome.tag).toBe('SET');
  });

  it('refuses the connection when a rule denies the setting, naming setting and rule', async () => {
    const result = await psqlWithOptions('-c work_mem=1GB', 'select 1', ['intern']);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(
      /FATAL: {2}gatehouse: startup option "work_mem" refused: denied by rule "no-settings-for-interns"/,
    );
    expect(result.stderr).toMatch(/interns keep the defaults/);
    const denied = gw.audit.commands.find((c) => c.command.text === "SET work_mem = '1GB'");
    expect(denied?.decision.action).toBe('deny');
    expect(gw.audit.ended.find((e) => e.sessionId === denied!.sessionId)?.reason).toBe(
      'startup option refused',
    );
  });

  it('classifies role and session_authorization as admin, like SET ROLE', async () => {
    const result = await psqlWithOptions('-c role=pg_monitor', 'select current_user');
    expect(result.stderr).toMatch(
      /startup option "role" refused: denied by rule "no-role-switching"/,
    );
    const auth = await psqlWithOptions('--session-authorization=postgres', 'select 1');
    expect(auth.stderr).toMatch(/startup option "session_authorization" refused/);
  });

  it('refuses a setting that needs review: no review can happen during startup', async () => {
    const result = await psqlWithOptions('-c work_mem=2MB', 'select 1', ['contractor']);
    expect(result.stderr).toMatch(
      /rule "settings-need-review" requires review, which cannot happen while the connection starts/,
    );
  });

  it('shows the target’s own error for a bad value, as PostgreSQL would', async () => {
    const result = await psqlWithOptions('-c statement_timeout=soon', 'select 1');
    expect(result.stderr).toMatch(
      /FATAL: {2}invalid value for parameter "statement_timeout": "soon"/,
    );
    const direct = await runProcess(
      'psql',
      ['-X', '-At', '-h', '127.0.0.1', '-U', 'postgres', '-d', 'postgres', '-c', 'select 1'],
      {
        env: {
          ...libpqEnv({ host: '127.0.0.1', port: 5432, user: 'postgres', database: 'postgres' }),
          PGOPTIONS: '-c statement_timeout=soon',
        },
      },
    );
    expect(direct.stderr).toMatch(
      /FATAL: {2}invalid value for parameter "statement_timeout": "soon"/,
    );
  });

  it('refuses other server switches and unsafe start values of pinned settings', async () => {
    expect((await psqlWithOptions('-B 10', 'select 1')).stderr).toMatch(/"-B" is not supported/);
    expect(
      (await psqlWithOptions('-c standard_conforming_strings=off', 'select 1')).stderr,
    ).toMatch(/standard_conforming_strings must stay on/);
  });

  it('keeps the requester reason (gatehouse exec --reason) out of the target', async () => {
    const token = await gw.token({ sub: 'rita' });
    const client = new pg.Client(
      gw.pgConfig(token, { options: '-c gatehouse.reason=fix\\ ticket\\ 7 -c work_mem=5MB' }),
    );
    await client.connect();
    const { rows } = await client.query(
      "select current_setting('work_mem') as w, current_setting('gatehouse.reason', true) as r",
    );
    await client.end();
    expect(rows[0]).toEqual({ w: '5MB', r: null });
    const session = gw.audit.sessions.find((s) => s.identity.subject === 'rita')!;
    expect(session.client.reason).toBe('fix ticket 7');
  });
});
