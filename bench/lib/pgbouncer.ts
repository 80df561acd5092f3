import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { freePort, waitForPort } from './net.js';
import { childCpuMicros } from './process-cpu.js';
import { type TargetFactory, TargetUnavailable } from './targets.js';

const SEARCH = ['/usr/sbin', '/usr/local/sbin', '/usr/bin', '/usr/local/bin'];

/** Path of the pgbouncer binary (PATH, then the usual sbin folders), or undefined. */
export function findPgBouncer(): string | undefined {
  const dirs = [...(process.env['PATH'] ?? '').split(delimiter), ...SEARCH].filter(Boolean);
  for (const dir of dirs) {
    const candidate = join(dir, 'pgbouncer');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {}
  }
  return undefined;
}

/**
 * Our own PgBouncer in front of the upstream, on a free loopback port. Session pooling: each
 * client keeps one server connection for its whole session, which is exactly the gateway's
 * connection model, so the comparison measures proxying cost and not pooling gains.
 * Trust auth (the upstream is trust on loopback too); PgBouncer refuses to run as root, so
 * as root it is started with `-u postgres` (or `nobody`).
 */
export const pgbouncerTarget: TargetFactory = async (upstream) => {
  const binary = findPgBouncer();
  if (!binary) {
    throw new TargetUnavailable(
      'PgBouncer is not installed (Debian/Ubuntu: apt-get install pgbouncer)',
    );
  }
  const dir = await mkdtemp(join(tmpdir(), 'gatehouse-bench-pgbouncer-'));
  await chmod(dir, 0o777); // readable and writable after PgBouncer drops root
  const port = await freePort();
  const ini = join(dir, 'pgbouncer.ini');
  const log = join(dir, 'pgbouncer.log');
  await writeFile(join(dir, 'users.txt'), `"${upstream.user}" ""\n`, { mode: 0o644 });
  await writeFile(
    ini,
    [
      '[databases]',
      `${upstream.database} = host=${upstream.host} port=${upstream.port} dbname=${upstream.database}`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      'unix_socket_dir =',
      'auth_type = trust',
      `auth_file = ${join(dir, 'users.txt')}`,
      'pool_mode = session',
      'max_client_conn = 200',
      'default_pool_size = 64',
      'log_connections = 0',
      'log_disconnections = 0',
      `logfile = ${log}`,
      '',
    ].join('\n'),
    { mode: 0o644 },
  );
  const args = process.getuid?.() === 0 ? ['-u', unprivilegedUser(), ini] : [ini];
  const child = spawn(binary, args, { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const cleanup = async () => {
    stop(child);
    await exited;
    await rm(dir, { recursive: true, force: true });
  };
  if (!(await waitForPort('127.0.0.1', port, 5000, exited))) {
    const tail = await readFile(log, 'utf8').catch(() => '');
    await cleanup();
    throw new Error(`PgBouncer did not start:\n${tail.trim().split('\n').slice(-5).join('\n')}`);
  }
  return {
    endpoint: {
      label: 'pgbouncer',
      host: '127.0.0.1',
      port,
      user: upstream.user,
      database: upstream.database,
    },
    cpuMicros: () =>
      child.pid === undefined ? Number.NaN : (childCpuMicros(child.pid) ?? Number.NaN),
    close: cleanup,
  };
};

function stop(child: ChildProcess): void {
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
}

function unprivilegedUser(): string {
  try {
    execFileSync('id', ['-u', 'postgres'], { stdio: 'ignore' });
    return 'postgres';
  } catch {
    return 'nobody';
  }
}
