import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliNodeArgs, runCli } from '../helpers/cli.js';
import { tcpReachable } from '../helpers/services.js';
import { printedConnection } from './demo-helpers.js';

/**
 * `gatehouse demo` as a user starts it (a separate process, from the sources): it prints the
 * banner, serves the printed psql credentials, and Ctrl-C (SIGINT) shuts everything down and
 * exits 0.
 */
describe('gatehouse demo (process)', () => {
  let stateDir: string;
  let child: ChildProcess;
  let stdout = '';
  let stderr = '';
  let exited: Promise<number | null>;

  beforeAll(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'gatehouse-demo-cli-'));
    child = spawn(
      process.execPath,
      [
        ...cliNodeArgs(),
        'demo',
        '--api-listen',
        '127.0.0.1:0',
        '--pg-listen',
        '127.0.0.1:0',
        '--state-dir',
        stateDir,
        '--in-memory',
      ],
      {
        cwd: stateDir,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, GATEHOUSE_LOG_LEVEL: 'warn' },
      },
    );
    child.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
    });
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    exited = new Promise((done) => child.once('exit', (code) => done(code)));
    const ready = await Promise.race([
      (async () => {
        while (!stdout.includes('Ctrl-C')) await new Promise((r) => setTimeout(r, 100));
        return true;
      })(),
      exited.then(() => false),
      new Promise<boolean>((r) => setTimeout(() => r(false), 90_000)),
    ]);
    if (!ready) throw new Error(`the demo did not start:\n${stdout}\n${stderr}`);
  }, 120_000);

  afterAll(async () => {
    if (child.exitCode === null) child.kill('SIGKILL');
    await rm(stateDir, { recursive: true, force: true });
  });

  it('prints the banner and serves the printed credentials', async () => {
    expect(stdout).toContain('Console');
    const client = new pg.Client(printedConnection(stdout));
    await client.connect();
    try {
      const result = await client.query('SELECT count(*)::int AS n FROM customers');
      expect(result.rows[0].n).toBe(50);
    } finally {
      await client.end();
    }
  });

  it('prints review commands that work as printed', async () => {
    // The banner's lines read `<cli> token … -c F` and `<cli> approvals list -c F`.
    const argsOf = (marker: string) => {
      const line = stdout.split('\n').find((l) => l.includes(marker));
      if (!line) throw new Error(`no "${marker}" line in the banner:\n${stdout}`);
      const rest = line.slice(line.indexOf(marker)).replace(/\)$/, '').split('#')[0]!.trim();
      return rest.split(/\s+/);
    };
    const minted = await runCli(argsOf('token -c'), { cwd: stateDir });
    expect(minted.code, minted.stderr).toBe(0);
    const list = await runCli(argsOf('approvals list'), {
      cwd: stateDir,
      env: { GATEHOUSE_TOKEN: minted.stdout.trim() },
    });
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toMatch(/no pending tickets|tkt_/);
  });

  it('shuts down cleanly on Ctrl-C', async () => {
    const { host, port } = printedConnection(stdout);
    child.kill('SIGINT');
    const code = await Promise.race([
      exited,
      new Promise((r) => setTimeout(() => r('timeout'), 20_000)),
    ]);
    expect(code, stderr).toBe(0);
    expect(await tcpReachable(host, port)).toBe(false);
  });
});
