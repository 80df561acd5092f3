/** The gateway logs in to the target with its own credentials: SCRAM-SHA-256, MD5, cleartext, TLS. */
import { once } from 'node:events';
import { type AddressInfo, createServer } from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PostgresTargetConfig as TargetConfig } from '../../src/connectors/postgres/target/config.js';
import { selfSignedTls, startTestConnector } from '../helpers/pg-connector.js';
import { ensureTargetRoles, startTlsFront, TARGET_ROLES } from '../helpers/pg-db.js';

beforeAll(() => ensureTargetRoles());

async function whoAmI(target: Partial<TargetConfig>, secrets: Record<string, string> = {}) {
  await using gw = await startTestConnector({
    connector: {
      target: {
        host: '127.0.0.1',
        port: 5432,
        database: 'postgres',
        user: 'postgres',
        tls: 'disable',
        ...target,
      },
    },
    secrets,
  });
  const client = new pg.Client(gw.pgConfig(await gw.token()));
  client.on('error', () => {});
  try {
    await client.connect();
    const { rows } = await client.query(
      'select current_user as who, (select ssl from pg_stat_ssl where pid = pg_backend_pid()) as ssl',
    );
    return rows[0] as { who: string; ssl: boolean };
  } finally {
    await client.end().catch(() => {});
  }
}

describe('target authentication', () => {
  for (const [kind, role] of Object.entries(TARGET_ROLES)) {
    it(`logs in with ${kind} (${role.method} in pg_hba)`, async () => {
      const result = await whoAmI(
        { user: role.user, password: { env: 'GH_TARGET_PW' } },
        { GH_TARGET_PW: role.password },
      );
      expect(result.who).toBe(role.user);
    });
  }

  it('reports a wrong target password as 08006 without leaking the password', async () => {
    const err = (await whoAmI(
      { user: TARGET_ROLES.scram.user, password: { env: 'GH_TARGET_PW' } },
      { GH_TARGET_PW: 'wrong' },
    ).catch((e) => e)) as pg.DatabaseError;
    expect(err.code).toBe('08006');
    expect(err.detail).toMatch(/28P01/);
    expect(JSON.stringify(err)).not.toContain('wrong');
  });

  it('reports a target that asks for a password the connector lacks as 08006', async () => {
    const err = (await whoAmI({ user: TARGET_ROLES.md5.user }).catch((e) => e)) as pg.DatabaseError;
    expect(err.code).toBe('08006');
    expect(err.message).toMatch(/no(ne)? configured|has none/);
  });
});

describe('TLS to the target', () => {
  let front: Awaited<ReturnType<typeof startTlsFront>>;
  let ca: string;
  beforeAll(async () => {
    const tls = await selfSignedTls();
    ca = tls.cert;
    front = await startTlsFront(tls);
  });
  afterAll(() => front?.close());

  it('connects with mode require', async () => {
    const before = front.tlsConnections();
    expect((await whoAmI({ port: front.port, tls: 'require' })).who).toBe('postgres');
    expect(front.tlsConnections()).toBe(before + 1);
  });

  it('connects with verify-full and the right CA', async () => {
    const tls = { mode: 'verify-full' as const, ca, servername: 'localhost' };
    expect((await whoAmI({ port: front.port, tls })).who).toBe('postgres');
  });

  it('refuses verify-full with another CA or another name', async () => {
    const other = (await selfSignedTls()).cert;
    const wrongCa = (await whoAmI({
      port: front.port,
      tls: { mode: 'verify-full', ca: other },
    }).catch((e) => e)) as pg.DatabaseError;
    expect(wrongCa.code).toBe('08006');
    expect(wrongCa.message).toMatch(/TLS handshake/);
    const wrongName = (await whoAmI({
      port: front.port,
      tls: { mode: 'verify-full', ca, servername: 'db.example.com' },
    }).catch((e) => e)) as pg.DatabaseError;
    expect(wrongName.code).toBe('08006');
  });

  it('refuses require when the target does not offer TLS', async () => {
    // A server that answers SSLRequest with 'N', as PostgreSQL with `ssl = off` does (the
    // machine's own server may well have TLS on, as Debian's default configuration does).
    await using noTls = await startServerWithoutTls();
    const err = (await whoAmI({ tls: 'require', port: noTls.port }).catch(
      (e) => e,
    )) as pg.DatabaseError;
    expect(err.code).toBe('08006');
    expect(err.message).toMatch(/does not accept TLS/);
  });
});

/** Listens on loopback and declines every SSLRequest with the single byte 'N'. */
async function startServerWithoutTls() {
  const server = createServer((socket) => {
    socket.once('data', () => socket.write('N'));
    socket.on('error', () => {});
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    async [Symbol.asyncDispose]() {
      server.close();
    },
  };
}
