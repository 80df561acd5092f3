/**
 * Fixtures for logging in to the target with real credentials: dedicated roles with SCRAM, MD5
 * and cleartext passwords, enforced by pg_hba lines for exactly those roles (added idempotently,
 * through SQL as superuser, so CI can do the same), and a TLS front for the target.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import pg from 'pg';
import { localConfig } from '../helpers/pg-db.js';

export const TARGET_ROLES = {
  scram: { user: 'gh_scram_user', password: 'scram-pw-7c1f', method: 'scram-sha-256' },
  md5: { user: 'gh_md5_user', password: 'md5-pw-91ae', method: 'md5' },
  cleartext: { user: 'gh_clear_user', password: 'clear-pw-3b20', method: 'password' },
} as const;

const MARKER = '# gatehouse connector tests: dedicated roles only';

async function admin<T>(work: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client(localConfig('postgres'));
  await c.connect();
  try {
    return await work(c);
  } finally {
    await c.end();
  }
}

/** Creates the roles (resetting their passwords) and makes pg_hba require their methods. */
export async function ensureTargetRoles(): Promise<void> {
  await admin(async (c) => {
    for (const role of Object.values(TARGET_ROLES)) {
      const exists = await c.query('select 1 from pg_roles where rolname = $1', [role.user]);
      if (exists.rowCount === 0) await c.query(`create role ${role.user} login`);
      await c.query(
        `set password_encryption = '${role.method === 'md5' ? 'md5' : 'scram-sha-256'}'`,
      );
      await c.query(`alter role ${role.user} password '${role.password}'`);
    }
    const { rows } = await c.query<{ content: string }>(
      "select pg_read_file(current_setting('hba_file')) as content",
    );
    const content = rows[0]!.content;
    if (content.includes(MARKER)) return;
    const lines = Object.values(TARGET_ROLES)
      .map((r) => `host all ${r.user} 127.0.0.1/32 ${r.method}`)
      .join('\n');
    const next = `${MARKER}\n${lines}\n${content}`;
    // lo_export writes the file as the server's own user, who owns pg_hba.conf.
    const lo = await c.query<{ oid: number }>(
      "select lo_from_bytea(0, convert_to($1, 'UTF8')) as oid",
      [next],
    );
    await c.query("select lo_export($1, current_setting('hba_file'))", [lo.rows[0]!.oid]);
    await c.query('select lo_unlink($1)', [lo.rows[0]!.oid]);
    await c.query('select pg_reload_conf()');
  });
  // The postmaster reloads asynchronously: wait until a password-less login is refused.
  for (let i = 0; i < 100; i++) {
    const probe = new pg.Client({
      host: '127.0.0.1',
      port: 5432,
      user: TARGET_ROLES.scram.user,
      database: 'postgres',
    });
    const err = await probe.connect().then(
      () => undefined,
      (e: Error) => e,
    );
    await probe.end().catch(() => {});
    if (err) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('pg_hba rules for the test roles did not take effect');
}

/** A TLS-terminating front for the local PostgreSQL: answers SSLRequest with S, then relays. */
export async function startTlsFront(tls: { cert: string; key: string }): Promise<{
  port: number;
  tlsConnections: () => number;
  close: () => Promise<void>;
}> {
  let count = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.once('data', (first: Buffer) => {
      socket.pause();
      const upstream = connect({ host: '127.0.0.1', port: 5432 });
      sockets.add(upstream);
      upstream.on('error', () => socket.destroy());
      if (first.length === 8 && first.readInt32BE(4) === 80877103) {
        count++;
        socket.write('S');
        const secure = new TLSSocket(socket, { isServer: true, cert: tls.cert, key: tls.key });
        secure.on('error', () => upstream.destroy());
        secure.pipe(upstream).pipe(secure);
      } else {
        upstream.write(first);
        socket.pipe(upstream).pipe(socket);
        socket.resume();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no address');
  return {
    port: address.port,
    tlsConnections: () => count,
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
