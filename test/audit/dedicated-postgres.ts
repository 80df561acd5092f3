import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { chown, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { requirement } from '../helpers/services.js';

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
