import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoredCommand } from '../../src/audit/record/records.js';
import type { CapturedTable } from '../../src/core/command.js';
import { completedCommands, startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { createDatabase, type TestDatabase } from '../helpers/pg-db.js';
import { LOCAL_POSTGRES, requirePostgres } from '../helpers/services.js';
import {
  bind,
  close,
  describePortal,
  errorFields,
  execute,
  parse,
  query,
  startup,
  sync,
  types,
  WireClient,
  type WireMessage,
} from '../postgres/wire.js';

const ready = await requirePostgres();

/** A TCP relay to the local PostgreSQL that records every Describe sent through it. */
interface DescribeSpy {
  readonly port: number;
  /** `P<name>` or `S<name>` per Describe, in order, over all connections. */
  readonly describes: string[];
  close(): Promise<void>;
}

async function describeSpy(): Promise<DescribeSpy> {
  const describes: string[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = tcpConnect(LOCAL_POSTGRES.port, LOCAL_POSTGRES.host);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => {});
      socket.on('close', () => {
        sockets.delete(socket);
        client.destroy();
        upstream.destroy();
      });
    }
    upstream.on('data', (chunk: Buffer) => client.write(chunk));
    let pending = Buffer.alloc(0);
    let typed = false;
    client.on('data', (chunk: Buffer) => {
      upstream.write(chunk);
      pending = Buffer.concat([pending, chunk]);
      for (;;) {
        const lengthAt = typed ? 1 : 0;
        if (pending.length < lengthAt + 4) return;
        const total = lengthAt + pending.readInt32BE(lengthAt);
        if (pending.length < total) return;
        // SSLRequest (80877103) and GSSENCRequest (80877104) precede the startup packet.
        if (!typed) typed = ![80877103, 80877104].includes(pending.readInt32BE(4));
        else if (pending[0] === 0x44) describes.push(pending.toString('utf8', 5, total - 1));
        pending = pending.subarray(total);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('spy did not bind');
  return {
    port: address.port,
    describes,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Values of a DataRow, NULL as null. */
function cells(message: WireMessage): Array<string | null> {
  const body = message.body;
  const out: Array<string | null> = [];
  let at = 2;
  for (let i = 0; i < body.readInt16BE(0); i++) {
    const length = body.readInt32BE(at);
    at += 4;
    out.push(length < 0 ? null : body.toString('utf8', at, at + length));
    if (length > 0) at += length;
  }
  return out;
}

const rows = (messages: WireMessage[]) => messages.filter((m) => m.type === 'D').map(cells);
const copied = (messages: WireMessage[]) =>
  messages.filter((m) => m.type === 'd').map((m) => m.body.toString('utf8'));

/**
 * Column rules mask by the rows' RowDescription. A client that runs the extended protocol
 * without Describe (pgx's cached statements, drivers re-executing a described statement) gets
 * no description; the gateway describes the portal itself, keeps the answer to itself, and
 * masks by column. Every exchange is also sent straight to PostgreSQL: the client must see the
 * same messages either way.
 */
describe.skipIf(!ready)('masking rows of an Execute the client did not describe', () => {
  let target: TestDatabase;
  let spy: DescribeSpy;
  let gw: TestGateway;
  const open: WireClient[] = [];

  beforeAll(async () => {
    target = await createDatabase('gh_describe');
    await target.exec(`create table users (id int primary key, email text, age int, note text);
      insert into users values (1, 'ann@example.com', 41, 'first'),
        (2, 'bob@example.org', 37, 'second'), (3, 'cy@example.net', 29, 'third');`);
    spy = await describeSpy();
    gw = await startTestGateway({
      database: target.name,
      target: { port: spy.port },
      configure: (config) => {
        config['audit'] = { capture: { max_rows: 10, max_bytes: 1000 } };
        const [connector] = config['connectors'] as Array<Record<string, unknown>>;
        connector!['masking'] = [
          { columns: ['users.email'], strategy: 'redact', exempt_groups: ['auditors'] },
          { columns: ['users.age'], strategy: 'null', exempt_groups: ['auditors'] },
        ];
      },
    });
  });
  afterAll(async () => {
    for (const client of open) client.close();
    await gw?.close();
    await spy?.close();
    await target?.drop();
  });

  async function direct(): Promise<WireClient> {
    const client = await WireClient.open(LOCAL_POSTGRES.host, LOCAL_POSTGRES.port);
    open.push(client);
    client.send(startup({ user: LOCAL_POSTGRES.user, database: target.name }));
    expect((await client.untilReady()).at(-1)?.type).toBe('Z');
    return client;
  }

  async function gateway(subject: string, groups = ['dev']): Promise<WireClient> {
    const client = await WireClient.open(gw.host, gw.port);
    open.push(client);
    const greeting = await client.login(await gw.token(subject, { groups }), {
      database: target.name,
    });
    expect(greeting.at(-1)?.type).toBe('Z');
    return client;
  }

  /** Both ways to the database, sent the same bytes. */
  async function pair(subject: string) {
    const clients = { direct: await direct(), gateway: await gateway(subject) };
    return {
      /** Sends `messages` both ways; the answers up to `readies` ReadyForQuery each. */
      async exchange(messages: Buffer[], readies = 1) {
        const answers = { direct: [] as WireMessage[], gateway: [] as WireMessage[] };
        for (const via of ['direct', 'gateway'] as const) {
          clients[via].send(...messages);
          for (let i = 0; i < readies; i++) answers[via].push(...(await clients[via].untilReady()));
        }
        expect(types(answers.gateway)).toBe(types(answers.direct));
        return answers;
      },
    };
  }

  /** Describes the gateway sent while `work` ran. */
  async function describedDuring(work: () => Promise<void>): Promise<string[]> {
    const before = spy.describes.length;
    await work();
    return spy.describes.slice(before);
  }

  /** The session's commands once all completed. */
  async function commandsOf(subject: string): Promise<StoredCommand[]> {
    return completedCommands(gw.gateway, subject);
  }

  it('masks by column, hides its own Describe and records what the client saw', async () => {
    const both = await pair('plain');
    let answers: Awaited<ReturnType<typeof both.exchange>> | undefined;
    const sent = await describedDuring(async () => {
      answers = await both.exchange([
        parse('s1', 'select id, email, age, note from users where id = $1'),
        bind('', 's1', ['1']),
        execute(''),
        sync(),
      ]);
    });
    expect(sent).toEqual(['P']);
    expect(types(answers!.gateway)).toBe('1 2 D C Z');
    expect(rows(answers!.direct)).toEqual([['1', 'ann@example.com', '41', 'first']]);
    // Not blanket-redacted: only the ruled columns are.
    expect(rows(answers!.gateway)).toEqual([['1', '[redacted]', null, 'first']]);

    // A statement without masked columns reaches the client byte for byte.
    const clean = await both.exchange([
      parse('s2', 'select id, note from users order by id'),
      bind('', 's2'),
      execute(''),
      sync(),
    ]);
    expect(clean.gateway).toEqual(clean.direct);

    const [first] = await commandsOf('plain');
    expect(first?.outcome?.result).toMatchObject({
      columns: ['id', 'email', 'age', 'note'],
      rows: [['1', '[redacted]', null, 'first']],
    });
  });

  it('describes each pipelined portal for its own rows, and none the client described', async () => {
    const both = await pair('pipeline');
    let answers: Awaited<ReturnType<typeof both.exchange>> | undefined;
    const sent = await describedDuring(async () => {
      answers = await both.exchange([
        parse('a', 'select email, id from users where id = $1'),
        parse('b', 'select id, note, email from users where id = $1'),
        bind('pa', 'a', ['1']),
        bind('pb', 'b', ['2']),
        execute('pa'),
        execute('pb'),
        bind('pc', 'a', ['3']),
        describePortal('pc'),
        execute('pc'),
        sync(),
      ]);
    });
    expect(sent).toEqual(['Ppa', 'Ppb', 'Ppc']);
    expect(types(answers!.gateway)).toBe('1 1 2 2 D C D C 2 T D C Z');
    expect(rows(answers!.gateway)).toEqual([
      ['[redacted]', '1'],
      ['2', 'second', '[redacted]'],
      ['[redacted]', '3'],
    ]);
    // The client's own RowDescription is the target's (email is text already).
    const description = (m: WireMessage[]) => m.find((x) => x.type === 'T')?.body;
    expect(description(answers!.gateway)).toEqual(description(answers!.direct));
  });

  it('answers an Execute the target cannot run exactly as PostgreSQL does', async () => {
    const both = await pair('failing');
    const sent = await describedDuring(async () => {
      // No such portal (not described: the gateway never saw it bound); a Bind that fails
      // (the Describe behind it is skipped with the Execute); a portal closed before its Execute.
      for (const messages of [
        [execute('nope'), sync()],
        [
          parse('c', 'select email from users where id = $1'),
          bind('pd', 'c', ['x']),
          execute('pd'),
          sync(),
        ],
        [bind('pe', 'c', ['1']), close('P', 'pe'), execute('pe'), sync()],
      ]) {
        const answers = await both.exchange(messages);
        expect(answers.gateway).toEqual(answers.direct);
        expect(answers.gateway.filter((m) => m.type === 'E')).toHaveLength(1);
      }
    });
    expect(sent).toEqual(['Ppd']);
  });

  it('shows an error of its own Describe as the Execute’s (aborted transaction)', async () => {
    const both = await pair('aborted');
    await both.exchange([query('begin')]);
    await both.exchange([
      parse('d', 'select email, id from users where id = $1'),
      bind('pf', 'd', ['1']),
      sync(),
    ]);
    await both.exchange([query('select 1/0')]);
    let answers: Awaited<ReturnType<typeof both.exchange>> | undefined;
    const sent = await describedDuring(async () => {
      answers = await both.exchange([execute('pf'), sync()]);
    });
    expect(sent).toEqual(['Ppf']);
    expect(types(answers!.gateway)).toBe('E Z');
    const { L: _line, ...fields } = errorFields(answers!.gateway[0]!.body);
    const { L: _directLine, ...expected } = errorFields(answers!.direct[0]!.body);
    expect(fields).toEqual(expected);
    expect(fields).toMatchObject({ C: '25P02', R: 'exec_execute_message' });
    expect(answers!.gateway[1]).toEqual(answers!.direct[1]);
    await both.exchange([query('rollback')]);
    const commands = await commandsOf('aborted');
    expect(commands.at(-2)?.outcome?.error).toMatchObject({ code: '25P02' });
  });

  it('resumes row-limited portals under their own description, described once each', async () => {
    const both = await pair('limited');
    await both.exchange([query('begin')]);
    let limited: Array<Array<string | null>> = [];
    const once = await describedDuring(async () => {
      const first = await both.exchange([
        parse('r', 'select id, email, note from users order by id'),
        bind('pr', 'r'),
        execute('pr', 1),
        sync(),
      ]);
      expect(types(first.gateway)).toBe('1 2 D s Z');
      const second = await both.exchange([execute('pr', 1), sync()]);
      expect(types(second.gateway)).toBe('D s Z');
      const rest = await both.exchange([execute('pr', 0), sync()]);
      expect(types(rest.gateway)).toBe('D C Z');
      limited = [first, second, rest].flatMap((a) => rows(a.gateway));
    });
    expect(once).toEqual(['Ppr']);
    expect(limited).toEqual([
      ['1', '[redacted]', 'first'],
      ['2', '[redacted]', 'second'],
      ['3', '[redacted]', 'third'],
    ]);

    // Two portals taking turns: the transform holds one description, so each turn after the
    // other portal's is described again.
    let answers: Awaited<ReturnType<typeof both.exchange>> | undefined;
    const turns = await describedDuring(async () => {
      answers = await both.exchange([
        parse('q', 'select note, id from users order by id'),
        bind('p1', 'r'),
        bind('p2', 'q'),
        execute('p1', 1),
        execute('p2', 1),
        execute('p1', 1),
        execute('p1', 1),
        execute('p2', 0),
        sync(),
      ]);
    });
    expect(turns).toEqual(['Pp1', 'Pp2', 'Pp1', 'Pp2']);
    expect(types(answers!.gateway)).toBe('1 2 2 D s D s D s D s D D C Z');
    expect(rows(answers!.gateway)).toEqual([
      ['1', '[redacted]', 'first'],
      ['first', '1'],
      ['2', '[redacted]', 'second'],
      ['3', '[redacted]', 'third'],
      ['second', '2'],
      ['third', '3'],
    ]);
    await both.exchange([query('rollback')]);
  });

  it('redacts a cursor executed undescribed whole, whatever portal ran before it', async () => {
    const both = await pair('cursor');
    await both.exchange([query('begin')]);
    await both.exchange([
      query('declare c cursor for select id, email, note from users order by id'),
    ]);
    let answers: Awaited<ReturnType<typeof both.exchange>> | undefined;
    const sent = await describedDuring(async () => {
      answers = await both.exchange([
        parse('n', 'select note, id from users order by id'),
        bind('pn', 'n'),
        execute('pn', 1),
        // A portal the gateway never saw bound: not described (it might not exist).
        execute('c', 1),
        describePortal('c'),
        execute('c', 1),
        sync(),
      ]);
    });
    expect(sent).toEqual(['Ppn', 'Pc']); // the second is the client's own
    expect(types(answers!.gateway)).toBe('1 2 D s D s T D s Z');
    expect(rows(answers!.gateway)).toEqual([
      ['first', '1'],
      ['[redacted]', '[redacted]', '[redacted]'],
      ['2', '[redacted]', 'second'],
    ]);
    await both.exchange([query('rollback')]);
    // Rows without a description are not captured (their columns are unknown).
    const results = (await commandsOf('cursor')).map(
      (c) => (c.outcome?.result as CapturedTable | undefined)?.columns,
    );
    expect(results).toEqual([
      undefined,
      undefined,
      ['note', 'id'],
      undefined,
      ['id', 'email', 'note'],
      undefined,
    ]);
  });

  it('describes a COPY portal (NoData) and still redacts its lines', async () => {
    const both = await pair('copy');
    let answers: Awaited<ReturnType<typeof both.exchange>> | undefined;
    const sent = await describedDuring(async () => {
      answers = await both.exchange([
        parse('', 'copy (select id, note from users order by id) to stdout'),
        bind('', ''),
        execute(''),
        sync(),
      ]);
    });
    expect(sent).toEqual(['P']);
    expect(types(answers!.gateway)).toBe('1 2 H d d d c C Z');
    expect(copied(answers!.direct)[0]).toBe('1\tfirst\n');
    expect(copied(answers!.gateway)[0]).toBe('[redacted]\t[redacted]\n');
  });

  it('sends nothing extra for a session without column rules', async () => {
    const client = await gateway('auditor', ['auditors']);
    let answers: WireMessage[] = [];
    const sent = await describedDuring(async () => {
      client.send(
        parse('s', 'select id, email from users where id = $1'),
        bind('', 's', ['1']),
        execute(''),
        sync(),
      );
      answers = await client.untilReady();
    });
    expect(sent).toEqual([]);
    expect(rows(answers)).toEqual([['1', 'ann@example.com']]);
  });
});
