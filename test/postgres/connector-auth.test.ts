/** Startup, encryption negotiation, the token, access and the gateway's own errors. */
import { networkInterfaces } from 'node:os';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestConnector, type TestConnector } from '../helpers/pg-connector.js';
import { runProcess } from '../helpers/process.js';
import { psql } from '../helpers/psql.js';
import {
  errorFields,
  frame,
  gssencRequest,
  password,
  query,
  sslRequest,
  startup,
  WireClient,
} from './wire.js';

let gw: TestConnector;

beforeAll(async () => {
  gw = await startTestConnector({
    connector: { access: { groups: ['dev', 'dba'] }, max_message_bytes: 100_000 },
  });
});
afterAll(() => gw?.stop());

const connectError = async (config: pg.ClientConfig): Promise<pg.DatabaseError> => {
  const client = new pg.Client(config);
  client.on('error', () => {});
  const err = await client.connect().then(
    () => undefined,
    (e: pg.DatabaseError) => e,
  );
  await client.end().catch(() => {});
  if (!err) throw new Error('connection unexpectedly succeeded');
  return err;
};

describe('token', () => {
  it('refuses a token with a bad signature with 28P01', async () => {
    const token = await gw.token();
    const forged = `${token.slice(0, -4)}AAAA`;
    const err = await connectError(gw.pgConfig(forged));
    expect(err.code).toBe('28P01');
    expect(err.severity).toBe('FATAL');
  });

  it('refuses an expired token and garbage with 28P01', async () => {
    const expired = await gw.token({ expiresIn: '-1m' });
    expect((await connectError(gw.pgConfig(expired))).code).toBe('28P01');
    expect((await connectError(gw.pgConfig('not-a-jwt'))).code).toBe('28P01');
  });

  it('refuses an identity outside the access groups with 28000', async () => {
    const outsider = await gw.token({ sub: 'mallory', groups: ['marketing'] });
    const err = await connectError(gw.pgConfig(outsider));
    expect(err.code).toBe('28000');
    expect(err.message).toMatch(/mallory may not use connector/);
    expect(gw.audit.sessions.some((s) => s.identity.subject === 'mallory')).toBe(false);
  });

  it('records the session with the identity and client address', async () => {
    const client = new pg.Client(gw.pgConfig(await gw.token({ sub: 'bob', groups: ['dba'] })));
    await client.connect();
    await client.end();
    const record = gw.audit.sessions.find((s) => s.identity.subject === 'bob');
    expect(record).toMatchObject({
      connector: 'pg-test',
      protocol: 'postgres',
      client: { address: '127.0.0.1', tls: false },
      target: { database: 'postgres' },
    });
  });

  it('refuses a database other than the configured one with 3D000', async () => {
    const err = await connectError(gw.pgConfig(await gw.token(), { database: 'template1' }));
    expect(err.code).toBe('3D000');
  });

  it('refuses an empty password with 28P01', async () => {
    const wire = await WireClient.open(gw.host, gw.port);
    wire.send(startup({ user: 'x' }));
    expect((await wire.message())?.type).toBe('R');
    wire.send(password(''));
    const error = await wire.message();
    expect(error?.type).toBe('E');
    expect(errorFields(error!.body).C).toBe('28P01');
    await wire.waitClosed();
  });
});

describe('startup parameters', () => {
  it('forwards rendering settings and options, drops other parameters with a warning', async () => {
    const wire = await WireClient.open(gw.host, gw.port);
    const greeting = await wire.login(await gw.token(), {
      application_name: 'gh-app',
      DateStyle: 'German',
      options: '-c work_mem=3MB',
      search_path: 'evil',
    });
    const warning = greeting.find((m) => m.type === 'N');
    expect(errorFields(warning!.body)).toMatchObject({ S: 'WARNING', C: '01000' });
    expect(errorFields(warning!.body).M).toMatch(/not forwarded to the target: search_path$/);
    wire.send(
      query(
        "select current_setting('application_name'), current_setting('DateStyle'), current_setting('search_path'), current_setting('work_mem')",
      ),
    );
    const row = (await wire.untilReady()).find((m) => m.type === 'D')!.body.toString();
    expect(row).toContain('gh-app');
    expect(row).toContain('German');
    expect(row).not.toContain('evil');
    expect(row).toContain('3MB');
    wire.close();
  });
});

describe('encryption negotiation', () => {
  it('answers GSSENCRequest with N and continues with a plain startup', async () => {
    const wire = await WireClient.open(gw.host, gw.port);
    wire.send(gssencRequest());
    expect(await wire.byte()).toBe('N');
    const messages = await wire.login(await gw.token());
    expect(messages.map((m) => m.type)).toContain('K');
    expect(messages.at(-1)?.type).toBe('Z');
    wire.close();
  });

  it('answers SSLRequest with N when the listener has no TLS', async () => {
    const wire = await WireClient.open(gw.host, gw.port);
    wire.send(sslRequest());
    expect(await wire.byte()).toBe('N');
    wire.close();
  });

  it('refuses bytes sent after an SSLRequest before its answer (buffer stuffing)', async () => {
    const wire = await WireClient.open(gw.host, gw.port);
    wire.send(sslRequest(), startup({ user: 'x' }));
    const error = await wire.message();
    expect(errorFields(error!.body).C).toBe('08P01');
    await wire.waitClosed();
  });

  it('serves psql over TLS (sslmode=require and verify-full)', async () => {
    await using tlsGw = await startTestConnector({ tls: true });
    const { writeFile, mkdtemp } = await import('node:fs/promises');
    const dir = await mkdtemp('/tmp/gh-tls-');
    await writeFile(`${dir}/ca.pem`, tlsGw.ca!);
    const target = {
      host: '127.0.0.1',
      port: tlsGw.port,
      user: 'x',
      database: 'postgres',
      password: await tlsGw.token(),
    };
    const require = await psql({ ...target, sslmode: 'require' }, 'select 1;');
    expect(require.stderr).toBe('');
    expect(require.stdout.trim()).toBe('?column?\n1\n(1 row)');
    const verified = await runProcess(
      'psql',
      [
        '-X',
        '-At',
        '-h',
        'localhost',
        '-p',
        String(tlsGw.port),
        '-U',
        'x',
        '-d',
        'postgres',
        '-c',
        'select 3',
      ],
      {
        env: {
          PATH: process.env['PATH'],
          PGPASSWORD: target.password,
          PGSSLMODE: 'verify-full',
          PGSSLROOTCERT: `${dir}/ca.pem`,
          PGGSSENCMODE: 'disable',
        },
      },
    );
    expect(verified.stderr).toBe('');
    expect(verified.stdout.trim()).toBe('3');
    expect(tlsGw.audit.sessions.every((s) => s.client.tls)).toBe(true);
  });
});

describe('plaintext tokens', () => {
  // A non-loopback address of this machine; without one, a wildcard listener (also not
  // loopback, which is what the rule looks at) reached through 127.0.0.1.
  const external = Object.values(networkInterfaces())
    .flat()
    .find((i) => i && i.family === 'IPv4' && !i.internal)?.address;
  const listenHost = external ?? '0.0.0.0';
  const connectHost = external ?? '127.0.0.1';

  it('refuses a token over plain TCP on a non-loopback listener with 28000', async () => {
    await using open = await startTestConnector({
      connector: { listen: { host: listenHost, port: 0 } },
    });
    const wire = await WireClient.open(connectHost, open.port);
    wire.send(startup({ user: 'x' }));
    const error = await wire.message();
    // Refused before the password is even asked for.
    expect(error?.type).toBe('E');
    expect(errorFields(error!.body)).toMatchObject({ C: '28000', S: 'FATAL' });
    await wire.waitClosed();
  });

  it('accepts the same token over TLS on that listener', async () => {
    await using open = await startTestConnector({
      tls: true,
      connector: { listen: { host: listenHost, port: 0 } },
    });
    const client = new pg.Client({
      ...open.pgConfig(await open.token()),
      host: connectHost,
      ssl: { rejectUnauthorized: false },
    });
    await client.connect();
    expect((await client.query('select 1 as one')).rows[0].one).toBe(1);
    await client.end();
  });
});

describe('malformed input', () => {
  it('ends the connection with 08P01 on a frame over max_message_bytes', async () => {
    const client = new pg.Client(gw.pgConfig(await gw.token()));
    client.on('error', () => {});
    await client.connect();
    const err = (await client
      .query(`select '${'x'.repeat(200_000)}'`)
      .catch((e) => e)) as pg.DatabaseError;
    expect(err.code).toBe('08P01');
    expect(err.message).toMatch(/exceeds the limit/);
    await expect(client.query('select 1')).rejects.toThrow();
  });

  it('ends the connection with 08P01 on an unknown message type', async () => {
    const wire = await WireClient.open(gw.host, gw.port);
    await wire.login(await gw.token());
    wire.send(frame('z', 'junk'));
    const error = await wire.message();
    expect(errorFields(error!.body)).toMatchObject({ C: '08P01', S: 'FATAL' });
    await wire.waitClosed();
  });

  it('rejects protocol 2.0 and negotiates 3.2 down to 3.0', async () => {
    const old = await WireClient.open(gw.host, gw.port);
    old.send(startup({ user: 'x' }, 0x20000));
    expect(errorFields((await old.message())!.body).C).toBe('08P01');
    await old.waitClosed();

    const newer = await WireClient.open(gw.host, gw.port);
    newer.send(startup({ user: 'x', _pq_: 'x', '_pq_.test': '1' }, 0x30002));
    const negotiate = await newer.message();
    expect(negotiate?.type).toBe('v');
    expect(negotiate!.body.readInt32BE(0)).toBe(0x30000);
    expect(negotiate!.body.readInt32BE(4)).toBe(1);
    expect((await newer.message())?.type).toBe('R');
    newer.close();
  });

  it('ends a startup packet over 10 000 bytes', async () => {
    const wire = await WireClient.open(gw.host, gw.port);
    wire.send(startup({ user: 'x', application_name: 'y'.repeat(20_000) }));
    expect(errorFields((await wire.message())!.body).C).toBe('08P01');
    await wire.waitClosed();
  });
});
