/**
 * The PostgreSQL fixtures of the test suites, in one place: databases on the machine's server
 * (unique per suite, dropped after, breakable as in a failover), the superuser connection, login
 * roles with real password methods and a TLS front for connector target tests, and a dedicated
 * server of the test's own for outage tests. Suites get every PostgreSQL target from here.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { chown, mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { TLSSocket } from 'node:tls';
import { promisify } from 'node:util';
import pg from 'pg';
import { LOCAL_POSTGRES, requirement } from './services.js';

// Databases on the machine's server ----------------------------------------------------------

/** `postgres://postgres@127.0.0.1:5432/<database>` on the machine's server (trust auth). */
export function localUrl(database: string): string {
  return `postgres://${LOCAL_POSTGRES.user}@${LOCAL_POSTGRES.host}:${LOCAL_POSTGRES.port}/${database}`;
}

/** A uniquely named database on the local server, dropped by `drop()` / `await using`. */
export interface TestDatabase extends AsyncDisposable {
  readonly name: string;
  /** `postgres://postgres@127.0.0.1:5432/<name>` */
  readonly url: string;
  /** A connected client straight to the database (no gateway); the caller ends it. */
  connect(): Promise<pg.Client>;
  /** Runs SQL directly (no gateway) on a short-lived connection. */
  exec(sql: string): Promise<void>;
  /**
   * Makes the database refuse connections and cuts every open one, as in a failover;
   * `repair()` lets connections in again.
   */
  break(): Promise<void>;
  repair(): Promise<void>;
  /** Drops the database, terminating any session still connected. Idempotent. */
  drop(): Promise<void>;
}

/** A fresh name like `gh_parity_1a2b3c4d5e6f`: lowercase, safe unquoted, unique per call. */
export function uniqueName(prefix = 'gh_test'): string {
  return `${prefix}_${randomBytes(6).toString('hex')}`;
}

/** Connection settings for the local server as the superuser, to `database`. */
export function localConfig(database: string): pg.ClientConfig {
  return { ...LOCAL_POSTGRES, database };
}

/** Runs `work` on a short-lived superuser connection to the local server's `postgres` database. */
export async function onAdmin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const admin = new pg.Client(localConfig('postgres'));
  await admin.connect();
  try {
    return await work(admin);
  } finally {
    await admin.end();
  }
}

/**
 * Creates a uniquely named database on 127.0.0.1:5432 (as postgres) for one suite. With
 * `template`, the new database is a copy of that one (nobody may be connected to it).
 */
export async function createDatabase(
  prefix = 'gh_test',
  options: { template?: string } = {},
): Promise<TestDatabase> {
  const name = uniqueName(prefix);
  const template = options.template === undefined ? '' : ` template ${options.template}`;
  await onAdmin((admin) => admin.query(`create database ${name}${template}`));
  let dropped: Promise<void> | undefined;
  const drop = () => {
    dropped ??= onAdmin(async (admin) => {
      await admin.query(`drop database if exists ${name} with (force)`);
    });
    return dropped;
  };
  const connect = async () => {
    const client = new pg.Client(localConfig(name));
    await client.connect();
    return client;
  };
  return {
    name,
    url: localUrl(name),
    connect,
    async exec(sql) {
      const client = await connect();
      try {
        await client.query(sql);
      } finally {
        await client.end();
      }
    },
    async break() {
      await onAdmin(async (admin) => {
        await admin.query(`alter database ${name} allow_connections false`);
        await admin.query(
          'select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()',
          [name],
        );
      });
    },
    async repair() {
      await onAdmin((admin) => admin.query(`alter database ${name} allow_connections true`));
    },
    drop,
    [Symbol.asyncDispose]: drop,
  };
}

/**
 * Resolves once a statement whose text starts with `prefix` is running in `database`, as seen
 * directly in pg_stat_activity (e.g. to cancel it mid-flight). Rejects after `timeoutMs`.
 */
export async function waitForActiveQuery(
  database: string,
  prefix: string,
  timeoutMs = 5000,
): Promise<void> {
  await onAdmin(async (admin) => {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const { rows } = await admin.query<{ n: number }>(
        `select count(*)::int as n from pg_stat_activity
          where datname = $1 and state = 'active' and starts_with(query, $2)`,
        [database, prefix],
      );
      if (rows[0]!.n > 0) return;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    throw new Error(`no active "${prefix}…" in ${database} after ${timeoutMs} ms`);
  });
}

// Login roles and a TLS front for connector target tests ------------------------------------

/**
 * Dedicated roles with SCRAM, MD5 and cleartext passwords, enforced by pg_hba lines for exactly
 * those roles (added idempotently, through SQL as superuser, so CI can do the same).
 */
export const TARGET_ROLES = {
  scram: { user: 'gh_scram_user', password: 'scram-pw-7c1f', method: 'scram-sha-256' },
  md5: { user: 'gh_md5_user', password: 'md5-pw-91ae', method: 'md5' },
  cleartext: { user: 'gh_clear_user', password: 'clear-pw-3b20', method: 'password' },
} as const;

const MARKER = '# gatehouse connector tests: dedicated roles only';

/** Creates the roles (resetting their passwords) and makes pg_hba require their methods. */
export async function ensureTargetRoles(): Promise<void> {
  await onAdmin(async (c) => {
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
    const probe = new pg.Client({ ...localConfig('postgres'), user: TARGET_ROLES.scram.user });
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
      const upstream = tcpConnect({ host: LOCAL_POSTGRES.host, port: LOCAL_POSTGRES.port });
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

// A dedicated server ----------------------------------------------------------------------

const run = promisify(execFile);

/**
 * A PostgreSQL server of the test's own (initdb into a temp dir, a free port on 127.0.0.1),
 * so a test can really stop the store's PostgreSQL and start it again — the outage operators
 * see — without touching the machine's server. As root (PostgreSQL refuses to run as root)
 * the server runs as the `postgres` user.
 */
export interface DedicatedPostgres extends AsyncDisposable {
  readonly port: number;
  /** `postgres://postgres@127.0.0.1:PORT/<database>` */
  url(database: string): string;
  createDatabase(name: string): Promise<void>;
  /** `pg_ctl stop -m immediate`: every backend killed at once, as in a crash. */
  stop(): Promise<void>;
  start(): Promise<void>;
  destroy(): Promise<void>;
}

function binDir(): string | undefined {
  const base = '/usr/lib/postgresql';
  const versions = existsSync(base) ? readdirSync(base).sort().reverse() : [];
  for (const version of versions) {
    const dir = join(base, version, 'bin');
    if (existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl'))) return dir;
  }
  return undefined;
}

const BIN = binDir();
const AS_ROOT = userInfo().uid === 0;

/** initdb and pg_ctl are installed. Fails in CI, skips elsewhere. */
export function requireDedicatedPostgres(): boolean {
  return requirement(
    BIN !== undefined && (!AS_ROOT || existsSync('/usr/sbin/runuser')),
    'initdb/pg_ctl (to run a dedicated PostgreSQL)',
    'install the PostgreSQL server package (Debian: apt-get install postgresql)',
  );
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export async function startDedicatedPostgres(): Promise<DedicatedPostgres> {
  if (!BIN) throw new Error('no PostgreSQL server binaries found');
  const dir = await mkdtemp(join(tmpdir(), 'gatehouse-pg-'));
  const data = join(dir, 'data');
  const port = await freePort();
  const pgRun = async (tool: string, args: string[]) => {
    const command = join(BIN, tool);
    return AS_ROOT
      ? run('/usr/sbin/runuser', ['-u', 'postgres', '--', command, ...args])
      : run(command, args);
  };
  if (AS_ROOT) {
    const { uid, gid } = await postgresUser();
    await chown(dir, uid, gid);
  }
  await pgRun('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--no-sync']);
  const options = `-p ${port} -c listen_addresses=127.0.0.1 -k ${dir} -c max_connections=40`;
  const start = () =>
    pgRun('pg_ctl', ['-D', data, '-o', options, '-l', join(dir, 'log'), '-w', '-t', '30', 'start']);
  const stop = () => pgRun('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
  await start();
  let running = true;
  const url = (database: string) => `postgres://postgres@127.0.0.1:${port}/${database}`;
  let destroyed: Promise<void> | undefined;
  const destroy = () => {
    destroyed ??= (async () => {
      if (running) await stop().catch(() => undefined);
      running = false;
      await rm(dir, { recursive: true, force: true });
    })();
    return destroyed;
  };
  return {
    port,
    url,
    async createDatabase(name) {
      const client = new pg.Client({ connectionString: url('postgres') });
      await client.connect();
      try {
        await client.query(`create database ${name}`);
      } finally {
        await client.end();
      }
    },
    async stop() {
      await stop();
      running = false;
    },
    async start() {
      await start();
      running = true;
    },
    destroy,
    [Symbol.asyncDispose]: destroy,
  };
}

async function postgresUser(): Promise<{ uid: number; gid: number }> {
  const { stdout } = await run('id', ['-u', 'postgres']);
  const { stdout: group } = await run('id', ['-g', 'postgres']);
  return { uid: Number(stdout.trim()), gid: Number(group.trim()) };
}
