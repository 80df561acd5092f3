/**
 * A real OpenSSH server for the SSH connector's tests: Debian's sshd on a free loopback port,
 * its own host key, a throwaway user, the gateway's key in that user's authorized_keys, a user
 * CA in TrustedUserCAKeys. Needs root (sshd checks logins against the system's users); the
 * caller decides what a missing sshd means (`sshdUnavailable`).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const SSHD = '/usr/sbin/sshd';

/** Why sshd tests cannot run here; undefined when they can. */
export function sshdUnavailable(): string | undefined {
  if (!existsSync(SSHD)) return `${SSHD} is not installed (apt-get install openssh-server)`;
  if (!existsSync('/usr/bin/ssh')) return '/usr/bin/ssh is not installed (openssh-client)';
  if (process.getuid?.() !== 0) return 'sshd tests need root (they add a throwaway user)';
  return undefined;
}

export interface TestSshd extends AsyncDisposable {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  /** The target's host public key line (`ssh-ed25519 AAAA…`). */
  readonly hostKey: string;
  /** The gateway's private key file for the target (its public key is authorized). */
  readonly gatewayKeyFile: string;
  /** A user CA's private key file (TrustedUserCAKeys holds its public key). */
  readonly userCaFile: string;
  readonly dir: string;
  /** What sshd logged so far (for failure messages). */
  log(): string;
  close(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

function keygen(file: string, comment: string): void {
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', file]);
}

async function waitForPort(port: number, child: ChildProcess, log: () => string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) throw new Error(`sshd exited: ${log()}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.destroy();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`sshd did not listen on ${port}: ${log()}`);
}

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export async function startSshd(): Promise<TestSshd> {
  const dir = await mkdtemp(join(tmpdir(), 'gatehouse-sshd-'));
  // sshd reads authorized_keys as the user: the folder must be searchable by it.
  await chmod(dir, 0o755);
  const user = `ghssh${process.pid}${Math.floor(Math.random() * 1000)}`;
  const home = join(dir, 'home');
  // Password '*': no password, yet not locked (sshd without PAM refuses locked accounts).
  execFileSync('useradd', ['-M', '-d', home, '-s', '/bin/bash', '-p', '*', user]);
  execFileSync('mkdir', ['-p', home]);
  execFileSync('chown', [user, home]);
  execFileSync('mkdir', ['-p', '/run/sshd']);
  keygen(join(dir, 'host_ed25519'), 'target-host');
  keygen(join(dir, 'gateway'), 'gatehouse-gateway');
  keygen(join(dir, 'user_ca'), 'gatehouse-user-ca');
  await writeFile(join(dir, 'authorized_keys'), await readFile(join(dir, 'gateway.pub')), {
    mode: 0o644,
  });
  const port = await freePort();
  const config = [
    `Port ${port}`,
    'ListenAddress 127.0.0.1',
    `HostKey ${join(dir, 'host_ed25519')}`,
    `PidFile ${join(dir, 'sshd.pid')}`,
    `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
    `TrustedUserCAKeys ${join(dir, 'user_ca.pub')}`,
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'PubkeyAuthentication yes',
    'UsePAM no',
    'StrictModes no',
    `AllowUsers ${user}`,
    'AllowTcpForwarding yes',
    'PermitTTY yes',
    'Subsystem sftp internal-sftp',
    `LogLevel ${process.env['GATEHOUSE_TEST_SSHD_LOG'] ?? 'VERBOSE'}`,
  ].join('\n');
  await writeFile(join(dir, 'sshd_config'), `${config}\n`);
  const child = spawn(SSHD, ['-D', '-e', '-f', join(dir, 'sshd_config')], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  running.add(child);
  let output = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const log = () => output;
  let closed: Promise<void> | undefined;
  const close = () => {
    closed ??= (async () => {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      running.delete(child);
      try {
        execFileSync('userdel', ['-f', user]);
      } catch {
        // already gone
      }
      await rm(dir, { recursive: true, force: true });
    })();
    return closed;
  };
  try {
    await waitForPort(port, child, log);
  } catch (err) {
    await close();
    throw err;
  }
  const hostKey = (await readFile(join(dir, 'host_ed25519.pub'), 'utf8')).trim();
  return {
    host: '127.0.0.1',
    port,
    user,
    hostKey,
    gatewayKeyFile: join(dir, 'gateway'),
    userCaFile: join(dir, 'user_ca'),
    dir,
    log,
    close,
    [Symbol.asyncDispose]: close,
  };
}
