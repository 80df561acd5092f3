/**
 * The SSH connector end to end: a real gateway (YAML config, dev issuer, SQLite store) in front
 * of a real OpenSSH sshd, driven by the ssh2 client and by OpenSSH's own `ssh`.
 */
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ssh2, { type ClientChannel, type Client as SshClient } from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getSession, listSessions } from '../../src/audit/read/session-queries.js';
import { formatReplay } from '../../src/audit/session-replay.js';
import { loginSsh } from '../../src/cli/commands/login-ssh.js';
import { replayFor } from '../../src/connectors/registry.js';
import { signCertificate } from '../../src/connectors/ssh/target/user-certificate.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { runProcess } from '../helpers/process.js';
import { sshdUnavailable, startSshd, type TestSshd } from '../helpers/sshd.js';

const unavailable = sshdUnavailable();
if (unavailable && process.env['CI']) {
  throw new Error(`SSH connector tests need sshd under CI: ${unavailable}`);
}
if (unavailable) console.warn(`skipping SSH connector tests: ${unavailable}`);

interface ExecResult {
  stdout: string;
  stderr: string;
  code: number | null;
  signal?: string;
}

function connect(
  port: number,
  login: string,
  password: string,
  host = '127.0.0.1',
): Promise<SshClient> {
  return new Promise((resolve, reject) => {
    const client = new ssh2.Client();
    client.once('ready', () => resolve(client));
    client.once('error', reject);
    client.connect({ host, port, username: login, password, readyTimeout: 10_000 });
  });
}

function exec(
  client: SshClient,
  command: string,
  onStderr?: (text: string) => void,
): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    client.exec(command, (err, channel) => {
      if (err) return reject(err);
      collect(channel, onStderr).then(resolve, reject);
    });
  });
}

function collect(channel: ClientChannel, onStderr?: (text: string) => void): Promise<ExecResult> {
  return new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    let code: number | null = null;
    let signal: string | undefined;
    channel.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    channel.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      onStderr?.(d.toString());
    });
    channel.on('exit', (c: number | null, s?: string) => {
      code = c;
      signal = s;
    });
    channel.on('close', () => resolve({ stdout, stderr, code, ...(signal && { signal }) }));
  });
}

describe.skipIf(unavailable !== undefined)('SSH connector against a real sshd', () => {
  let sshd: TestSshd;
  let gw: TestGateway;
  let agent: SshClient;

  beforeAll(async () => {
    sshd = await startSshd();
    gw = await startTestGateway({
      database: 'unused',
      connector: 'ssh-prod',
      configure(raw) {
        raw['connectors'] = [
          {
            name: 'ssh-prod',
            type: 'ssh',
            listen: '127.0.0.1:0',
            target: {
              host: sshd.host,
              port: sshd.port,
              logins: [sshd.user],
              private_key: { file: sshd.gatewayKeyFile },
              host_key: sshd.hostKey,
            },
            access: { groups: ['agents', 'sre'] },
            default: 'allow',
            rules: [
              { name: 'no-rm', when: { command: ['rm *'] }, action: 'deny' },
              {
                name: 'no-etc-uploads',
                when: { request: ['scp_upload'], path: ['/etc/*'] },
                action: 'deny',
              },
              {
                name: 'stops-need-review',
                when: { command: ['systemctl stop *'] },
                action: 'review',
                review: { approvers: ['sre'] },
              },
              {
                name: 'restarts-need-review',
                when: { command: ['systemctl restart *'] },
                action: 'review',
                review: { approvers: ['sre'] },
              },
              {
                name: 'agent-shells-need-review',
                when: { shell: true, agent: true },
                action: 'review',
                review: { approvers: ['sre'] },
              },
            ],
          },
          {
            name: 'ssh-cert',
            type: 'ssh',
            listen: '127.0.0.2:0',
            target: {
              host: sshd.host,
              port: sshd.port,
              logins: [sshd.user],
              user_ca: { file: sshd.userCaFile },
              // The target's own .pub file, as operators mount it.
              host_key: { file: join(sshd.dir, 'host_ed25519.pub') },
            },
            access: { groups: ['sre'] },
            default: 'allow',
            rules: [
              {
                name: 'forward-to-target-ssh',
                when: { request: ['port_forward'] },
                action: 'allow',
              },
            ],
          },
          {
            name: 'ssh-wrong-host-key',
            type: 'ssh',
            listen: '127.0.0.3:0',
            target: {
              host: sshd.host,
              port: sshd.port,
              logins: [sshd.user],
              private_key: { file: sshd.gatewayKeyFile },
              host_key:
                'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl',
            },
            access: { groups: ['sre'] },
            default: 'allow',
          },
        ];
        raw['reviews'] = { approvers: ['sre'] };
      },
    });
    agent = await connect(
      gw.port,
      sshd.user,
      await gw.token('agent-1', { groups: ['agents'], agent: true }),
    );
  }, 60_000);

  afterAll(async () => {
    if (process.env['DEBUG_SSHD']) console.log('SSHD', sshd?.log());
    agent?.end();
    await gw?.close();
    await sshd?.close();
  });

  it('runs an allowed command on the target as the login and returns its exit status', async () => {
    const result = await exec(agent, 'echo hello from $(whoami); exit 3');
    expect(result).toMatchObject({ stdout: `hello from ${sshd.user}\n`, code: 3 });
  });

  it('refuses a denied command with the rationale on stderr and exit status 126', async () => {
    const result = await exec(agent, 'ls /tmp && rm -rf /tmp/nothing-here');
    expect(result.code).toBe(126);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^gatehouse: denied by rule "no-rm"/);
  });

  it.each([
    "bash -c 'rm -rf /tmp/x'",
    'echo rm x | sh',
    'sudo -u root -- rm x',
    '$CMD x',
    "python3 -c 'import os'",
    'env X=1 nohup timeout 5 /bin/rm x',
  ])('refuses the bypass attempt %j through the real server', async (command) => {
    const result = await exec(agent, command);
    expect(result.code).toBe(126);
    // Words decided at run time say so first ("command cannot be classified: …; denied by …").
    expect(result.stderr).toMatch(
      /^gatehouse: (command cannot be classified: [^;]+; )?denied by rule "no-rm"/m,
    );
  });

  it('holds a command for review, says so on stderr, and runs it once approved', async () => {
    const approver = await gw.token('alice', { groups: ['sre'] });
    const pending = exec(agent, 'systemctl stop nothing.service 2>/dev/null; echo ran', (text) => {
      const ticket = /ticket (\S+)\)/.exec(text)?.[1];
      if (ticket) {
        void fetch(`${gw.gateway.apiUrl}/api/approvals/${ticket}/approve`, {
          method: 'POST',
          headers: { authorization: `Bearer ${approver}`, 'content-type': 'application/json' },
          body: JSON.stringify({ rationale: 'ok' }),
        });
      }
    });
    const result = await pending;
    expect(result.stderr).toMatch(/gatehouse: held for review \(ticket \S+\): http/);
    expect(result).toMatchObject({ stdout: 'ran\n', code: 0 });
  });

  it("runs the reviewer's command when the reviewer modifies it, and refuses one the reviewer denies", async () => {
    const approver = await gw.token('alice', { groups: ['sre'] });
    const review = (action: 'modify' | 'deny', body: Record<string, string>) => (text: string) => {
      const ticket = /ticket (\S+)\)/.exec(text)?.[1];
      if (!ticket) return;
      void fetch(`${gw.gateway.apiUrl}/api/approvals/${ticket}/${action}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${approver}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    };
    const modified = await exec(
      agent,
      'systemctl restart nginx',
      review('modify', { command: 'echo restarted-by-reviewer', rationale: 'dry run first' }),
    );
    expect(modified.stderr).toContain(
      'gatehouse: a reviewer changed the command; running: echo restarted-by-reviewer',
    );
    expect(modified).toMatchObject({ stdout: 'restarted-by-reviewer\n', code: 0 });
    const denied = await exec(
      agent,
      'systemctl restart postgresql',
      review('deny', { rationale: 'not during business hours' }),
    );
    expect(denied.code).toBe(126);
    expect(denied.stdout).toBe('');
    expect(denied.stderr).toContain('not during business hours');
  });

  it('records denials and outputs so the session replays as the client saw it', async () => {
    const commands = await waitForCommands(gw, 'agent-1');
    expect(commands[0]).toMatchObject({
      decision: { action: 'allow' },
      outcome: { tag: 'exit 3' },
    });
    const denied = commands.find((c) => c.text === 'ls /tmp && rm -rf /tmp/nothing-here');
    expect(denied).toMatchObject({ decision: { action: 'deny', rule: 'no-rm' } });
    expect(denied?.executedText).toBeUndefined();
    const unclassifiable = commands.find((c) => c.text === '$CMD x');
    expect(unclassifiable?.unclassifiable).toBe(true);
    const [stored] = await listSessions(gw.gateway.store, { subject: 'agent-1' });
    const session = stored && (await getSession(gw.gateway.store, stored.id));
    if (!session) throw new Error('no session recorded');
    const replay = formatReplay(session, replayFor('ssh'));
    expect(replay).toContain(`hello from ${sshd.user}\n-- exit 3`);
    expect(replay).toContain('gatehouse: denied by rule "no-rm"');
    expect(replay).toContain('-- exit status 126');
  });

  it('refuses logins it does not offer, forged tokens and identities without access', async () => {
    const token = await gw.token('agent-2', { groups: ['agents'], agent: true });
    await expect(connect(gw.port, 'root', token)).rejects.toThrow(/authentication/i);
    await expect(connect(gw.port, sshd.user, `${token.slice(0, -4)}AAAA`)).rejects.toThrow(
      /authentication/i,
    );
    await expect(connect(gw.port, sshd.user, 'not-a-token')).rejects.toThrow(/authentication/i);
    const outsider = await gw.token('bob', { groups: ['marketing'] });
    await expect(connect(gw.port, sshd.user, outsider)).rejects.toThrow(/authentication/i);
  });

  it('refuses port forwarding that no rule allows', async () => {
    await expect(
      new Promise((resolve, reject) =>
        agent.forwardOut('127.0.0.1', 0, '127.0.0.1', sshd.port, (err, ch) =>
          err ? reject(err) : resolve(ch),
        ),
      ),
    ).rejects.toThrow();
  });

  it('records an interactive shell through a pty and replays it from the audit store', async () => {
    const human = await connect(gw.port, sshd.user, await gw.token('carol', { groups: ['sre'] }));
    const output = await new Promise<string>((resolve, reject) => {
      human.shell({ term: 'xterm', cols: 100, rows: 30 }, (err, channel) => {
        if (err) return reject(err);
        let text = '';
        let resized = false;
        channel.on('data', (d: Buffer) => {
          text += d.toString();
          // Once the shell has answered: resize the window, then leave.
          if (!resized && text.includes('shell-marker-42')) {
            resized = true;
            channel.setWindow(40, 120, 0, 0);
            setTimeout(() => channel.write('exit 0\n'), 100);
          }
        });
        channel.on('close', () => resolve(text));
        channel.write('echo shell-marker-$((40+2))\n');
      });
    });
    human.end();
    expect(output).toContain('shell-marker-42');
    const commands = await waitForCommands(gw, 'carol');
    const shell = commands.find((c) => c.classes.includes('shell'));

    expect(shell?.outcome?.tag).toBe('exit 0');
    const result = shell?.outcome?.result;
    expect(result?.kind).toBe('terminal');
    if (result?.kind !== 'terminal') return;
    expect(result.header).toMatchObject({ version: 2, width: 100, height: 30 });
    expect(result.events.some((e) => e[1] === 'i' && e[2].includes('echo shell-marker'))).toBe(
      true,
    );
    expect(result.events.some((e) => e[1] === 'o' && e[2].includes('shell-marker-42'))).toBe(true);
    expect(result.events.some((e) => e[1] === 'r' && e[2] === '120x40')).toBe(true);
    const [stored] = await listSessions(gw.gateway.store, { subject: 'carol' });
    const session = stored && (await getSession(gw.gateway.store, stored.id));
    if (!session) throw new Error('no session recorded');
    const replay = formatReplay(session, replayFor('ssh'));
    expect(replay).toContain('shell-marker-42');
    expect(replay).toContain('-- exit 0');
    // The console's player fetches the same recording as asciicast v2.
    const reader = await gw.token('alice', { groups: ['sre'] });
    const response = await fetch(`${gw.gateway.apiUrl}/api/sessions/${session.id}/recording`, {
      headers: { authorization: `Bearer ${reader}` },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('application/x-asciicast');
    const [header, ...events] = (await response.text()).trimEnd().split('\n');
    expect(JSON.parse(header ?? '')).toMatchObject({ version: 2, width: 100, height: 30 });
    expect(events.some((line) => line.includes('shell-marker-42'))).toBe(true);
  });

  it('keeps the recording of a shell whose client drops the connection', async () => {
    const human = await connect(gw.port, sshd.user, await gw.token('grace', { groups: ['sre'] }));
    await new Promise<void>((resolve, reject) => {
      human.shell({ term: 'xterm', cols: 80, rows: 24 }, (err, channel) => {
        if (err) return reject(err);
        let text = '';
        channel.on('data', (d: Buffer) => {
          text += d.toString();
          if (text.includes('dropped-marker-7')) resolve();
        });
        channel.write('echo dropped-marker-$((3+4))\n');
      });
    });
    human.end();
    const commands = await waitForCommands(gw, 'grace');
    expect(commands[0]?.outcome?.tag).toBe('client disconnected');
    const result = commands[0]?.outcome?.result;
    expect(
      result?.kind === 'terminal' && result.events.some((e) => e[2].includes('dropped-marker-7')),
    ).toBe(true);
  });

  it('forwards a port when a rule allows it, and records it', async () => {
    const { host, port } = addressOf(gw, 'ssh-cert');
    const human = await connect(
      port,
      sshd.user,
      await gw.token('frank', { groups: ['sre'] }),
      host,
    );
    const banner = await new Promise<string>((resolve, reject) => {
      human.forwardOut('127.0.0.1', 0, '127.0.0.1', sshd.port, (err, channel) => {
        if (err) return reject(err);
        channel.once('data', (d: Buffer) => {
          resolve(d.toString());
          channel.close();
        });
      });
    });
    human.end();
    expect(banner).toMatch(/^SSH-2\.0-OpenSSH/);
    const commands = await waitForCommands(gw, 'frank');
    expect(commands[0]).toMatchObject({
      text: `port forward 127.0.0.1:${sshd.port}`,
      classes: ['port_forward'],
      decision: { action: 'allow', rule: 'forward-to-target-ssh' },
    });
  });

  it('logs in to the target with a one-minute certificate from user_ca, pty included', async () => {
    const { host, port } = addressOf(gw, 'ssh-cert');
    const token = await gw.token('dave', { groups: ['sre'] });
    const human = await connect(port, sshd.user, token, host);
    const result = await new Promise<ExecResult>((resolve, reject) => {
      human.exec('tty >/dev/null && echo has-tty; whoami', { pty: true }, (err, channel) =>
        err ? reject(err) : collect(channel).then(resolve, reject),
      );
    });
    human.end();
    expect(result.stdout.replace(/\r/g, '')).toBe(`has-tty\n${sshd.user}\n`);
    expect(sshd.log()).toMatch(/Accepted publickey for \S+ .*ID gatehouse session \S+ for dave/);
  });

  it('refuses to talk to a target whose host key is not the configured one', async () => {
    const { host, port } = addressOf(gw, 'ssh-wrong-host-key');
    const token = await gw.token('erin', { groups: ['sre'] });
    const human = await connect(port, sshd.user, token, host);
    const result = await exec(human, 'whoami');
    human.end();
    expect(result.code).toBe(255);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('host key that is not in target.host_key');
  });

  it('gatehouse login --ssh: a gateway certificate logs OpenSSH in without a token; others are refused', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gatehouse-login-ssh-'));
    try {
      const token = await gw.token('henry', { groups: ['agents'], agent: true });
      const result = await loginSsh({
        config: join(dir, 'none.yaml'),
        token,
        apiUrl: gw.gateway.apiUrl,
        dir,
        connector: 'ssh-prod',
      });
      expect(result.sshLine).toBe(
        `ssh -i ${join(dir, 'id_ed25519')} -o UserKnownHostsFile=${join(dir, 'known_hosts')} -o IdentitiesOnly=yes -p ${gw.port} ${sshd.user}@127.0.0.1`,
      );
      const ssh = (keyFile: string, command: string) =>
        runProcess('ssh', [
          '-F',
          '/dev/null',
          '-i',
          keyFile,
          '-o',
          `UserKnownHostsFile=${join(dir, 'known_hosts')}`,
          '-o',
          'StrictHostKeyChecking=yes',
          '-o',
          'IdentitiesOnly=yes',
          '-o',
          'BatchMode=yes',
          '-p',
          String(gw.port),
          `${sshd.user}@127.0.0.1`,
          command,
        ]);
      const ok = await ssh(result.keyFile, 'whoami');
      expect(ok.stderr).toBe('');
      expect(ok).toMatchObject({ stdout: `${sshd.user}\n`, code: 0 });
      const denied = await ssh(result.keyFile, 'rm -rf /tmp/x');
      expect(denied.code).toBe(126);
      const [session] = await listSessions(gw.gateway.store, { subject: 'henry' });
      expect(session?.identity).toMatchObject({
        subject: 'henry',
        groups: ['agents'],
        agent: true,
      });

      // A certificate claiming more (group sre) signed by another CA (the target's) is refused.
      const claims = {
        iss: 'urn:gatehouse:dev',
        in: 'dev',
        sub: 'henry',
        groups: ['sre'],
        agent: false,
      };
      const forged = signCertificate({
        caKey: await readFile(sshd.userCaFile, 'utf8'),
        principals: ['henry'],
        keyId: `gatehouse:${Buffer.from(JSON.stringify(claims)).toString('base64url')}`,
        ttlMs: 60_000,
        publicKey: (await readFile(`${result.keyFile}.pub`, 'utf8')).trim(),
      });
      await writeFile(result.certificateFile, `${forged.line}\n`);
      const refused = await ssh(result.keyFile, 'whoami');
      expect(refused.code).toBe(255);
      expect(refused.stderr).toContain('Permission denied');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('works with OpenSSH ssh: token by askpass, exec, denial with 126', async () => {
    const askpass = join(sshd.dir, 'askpass.sh');
    const token = await gw.token('agent-3', { groups: ['agents'], agent: true });
    await writeFile(askpass, `#!/bin/sh\necho '${token}'\n`);
    await chmod(askpass, 0o700);
    const env = {
      ...process.env,
      SSH_ASKPASS: askpass,
      SSH_ASKPASS_REQUIRE: 'force',
      DISPLAY: ':0',
    };
    const base = [
      '-F',
      '/dev/null',
      '-o',
      'StrictHostKeyChecking=no',
      '-o',
      `UserKnownHostsFile=${join(sshd.dir, 'known_hosts')}`,
      '-o',
      'PreferredAuthentications=password,keyboard-interactive',
      '-o',
      'PubkeyAuthentication=no',
      '-p',
      String(gw.port),
      `${sshd.user}@127.0.0.1`,
    ];
    const ok = await runProcess('ssh', [...base, 'echo', 'via-openssh'], { env });
    expect(ok.stdout).toBe('via-openssh\n');
    expect(ok.code).toBe(0);
    const denied = await runProcess('ssh', [...base, 'rm -rf /tmp/x'], { env });
    expect(denied.code).toBe(126);
    expect(denied.stderr).toContain('gatehouse: denied by rule "no-rm"');
  });

  it('copies files with scp in SFTP and legacy modes, and refuses a legacy upload a rule denies', async () => {
    const askpass = join(sshd.dir, 'askpass-scp.sh');
    const token = await gw.token('ivy', { groups: ['sre'] });
    await writeFile(askpass, `#!/bin/sh\necho '${token}'\n`);
    await chmod(askpass, 0o700);
    const env = {
      ...process.env,
      SSH_ASKPASS: askpass,
      SSH_ASKPASS_REQUIRE: 'force',
      DISPLAY: ':0',
    };
    const source = join(sshd.dir, 'payload.txt');
    await writeFile(source, 'payload\n');
    const scp = (...args: string[]) =>
      runProcess(
        'scp',
        [
          '-F',
          '/dev/null',
          '-o',
          'StrictHostKeyChecking=no',
          '-o',
          `UserKnownHostsFile=${join(sshd.dir, 'known_hosts_scp')}`,
          '-o',
          'PreferredAuthentications=password,keyboard-interactive',
          '-o',
          'PubkeyAuthentication=no',
          '-P',
          String(gw.port),
          ...args,
        ],
        { env },
      );
    const sftp = await scp(source, `${sshd.user}@127.0.0.1:via-sftp.txt`);
    expect(sftp.code).toBe(0);
    expect(await readFile(join(sshd.dir, 'home', 'via-sftp.txt'), 'utf8')).toBe('payload\n');
    const legacy = await scp('-O', source, `${sshd.user}@127.0.0.1:via-scp.txt`);
    expect(legacy.code).toBe(0);
    expect(await readFile(join(sshd.dir, 'home', 'via-scp.txt'), 'utf8')).toBe('payload\n');
    const denied = await scp('-O', source, `${sshd.user}@127.0.0.1:/etc/gatehouse-test`);
    expect(denied.code).not.toBe(0);
    expect(denied.stderr).toContain('gatehouse: denied by rule "no-etc-uploads"');
    // Each scp is a session of its own.
    const sessions = await listSessions(gw.gateway.store, { subject: 'ivy' });
    const all = await Promise.all(sessions.map((x) => getSession(gw.gateway.store, x.id)));
    const commands = all.flatMap((x) => x?.commands ?? []).sort((a, b) => a.at - b.at);
    expect(
      commands.map((c) => [c.text, c.classes, c.attributes?.['path'], c.decision.action]),
    ).toEqual([
      ['subsystem sftp', ['sftp'], undefined, 'allow'],
      ['scp -t via-scp.txt', ['exec', 'scp_upload'], 'via-scp.txt', 'allow'],
      ['scp -t /etc/gatehouse-test', ['exec', 'scp_upload'], '/etc/gatehouse-test', 'deny'],
    ]);
  });
});

function addressOf(gw: TestGateway, name: string): { host: string; port: number } {
  const connector = gw.gateway.connectors.find((c) => c.name === name);
  if (!connector) throw new Error(`no connector ${name}`);
  return connector.address();
}

async function waitForCommands(gw: TestGateway, subject: string) {
  for (let i = 0; i < 100; i++) {
    const [stored] = await listSessions(gw.gateway.store, { subject });
    const full = stored && (await getSession(gw.gateway.store, stored.id));
    // Refused commands never run, so they have no outcome.
    const done = (c: { outcome?: unknown; executedText?: string }) =>
      c.outcome !== undefined || c.executedText === undefined;
    if (full?.commands.length && full.commands.every(done)) return full.commands;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`the commands of ${subject} never completed`);
}
