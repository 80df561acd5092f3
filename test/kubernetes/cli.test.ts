/**
 * The kubectl side of the CLI: `gatehouse kubeconfig` writes a kubeconfig whose user runs
 * `gatehouse token --exec-credential`, which hands kubectl the cached `gatehouse login` token;
 * real kubectl then works through the gateway with it. Without a login, the plugin fails with
 * nothing on stdout.
 */
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { writeCachedToken } from '../../src/cli/token-cache.js';
import { DevIssuer } from '../../src/identity/index.js';
import { cliNodeArgs, runCli } from '../helpers/cli.js';
import { apiServerAvailable, startApiServer, type TestApiServer } from './helpers/apiserver.js';
import { type K8sGateway, runKubectl, startK8sGateway } from './helpers/k8s-gateway.js';

// The CLI from the sources: a dist/ left by an earlier build may predate these commands.
process.env['GATEHOUSE_CLI_FROM_SOURCE'] = '1';
const ISSUER = 'https://login.gatehouse.test';
const CLIENT = 'gatehouse-cli';

describe('gatehouse token --exec-credential (no cluster needed)', () => {
  let home: string;
  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), 'gatehouse-cli-home-'));
  });
  afterAll(() => rm(home, { recursive: true, force: true }));

  const args = ['token', '--exec-credential', '--issuer', ISSUER, '--client-id', CLIENT];

  it('fails without a login, printing nothing on stdout', async () => {
    const result = await runCli(args, { env: { GATEHOUSE_CONFIG_DIR: home } });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('gatehouse login');
  });

  it('prints the cached token as an ExecCredential, echoing the apiVersion kubectl sent', async () => {
    const expiresAt = Math.floor(Date.now() / 1000) + 3600;
    await writeCachedToken(
      { issuer: ISSUER, clientId: CLIENT, token: 'cached-token', expiresAt, kind: 'access_token' },
      { env: { GATEHOUSE_CONFIG_DIR: home } },
    );
    const info = {
      apiVersion: 'client.authentication.k8s.io/v1beta1',
      kind: 'ExecCredential',
      spec: { interactive: false },
    };
    const result = await runCli(args, {
      env: { GATEHOUSE_CONFIG_DIR: home, KUBERNETES_EXEC_INFO: JSON.stringify(info) },
    });
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({
      apiVersion: 'client.authentication.k8s.io/v1beta1',
      kind: 'ExecCredential',
      status: {
        token: 'cached-token',
        expirationTimestamp: new Date(expiresAt * 1000).toISOString().replace('.000Z', 'Z'),
      },
    });
  });

  it('refuses an expired login without a refresh token when nobody can answer a prompt', async () => {
    await writeCachedToken(
      { issuer: ISSUER, clientId: CLIENT, token: 'old', expiresAt: 1000, kind: 'access_token' },
      { env: { GATEHOUSE_CONFIG_DIR: home } },
    );
    const result = await runCli(args, { env: { GATEHOUSE_CONFIG_DIR: home } });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
  });
});

const available = apiServerAvailable();

describe.skipIf(!available)('gatehouse kubeconfig with kubectl through the gateway', () => {
  let api: TestApiServer;
  let gw: K8sGateway;
  let home: string;

  beforeAll(async () => {
    api = await startApiServer();
    api.admin([
      'create',
      'clusterrolebinding',
      'sre',
      '--clusterrole=cluster-admin',
      '--group=sre',
    ]);
    gw = await startK8sGateway(api, {
      configure: (raw) => {
        const identity = raw['identity'] as { issuers: Array<Record<string, unknown>> };
        Object.assign(identity.issuers[0]!, { issuer: ISSUER, login: { client_id: CLIENT } });
      },
    });
    home = await mkdtemp(join(tmpdir(), 'gatehouse-cli-home-'));
  }, 180_000);

  afterAll(async () => {
    await gw?.close();
    await api?.close();
    if (home) await rm(home, { recursive: true, force: true });
  });

  it('writes a kubeconfig that kubectl uses with the cached login', async () => {
    const wrapper = join(home, 'gatehouse');
    const node = [process.execPath, ...cliNodeArgs()].map((a) => `'${a}'`).join(' ');
    await writeFile(wrapper, `#!/bin/sh\nexec ${node} "$@"\n`);
    await chmod(wrapper, 0o755);
    const file = join(home, 'kubeconfig');
    const written = await runCli(
      ['kubeconfig', 'k8s', '-c', gw.configFile, '-o', file, '--server', gw.url],
      { env: { GATEHOUSE_CONFIG_DIR: home } },
    );
    expect(written.code, written.stderr).toBe(0);
    const kubeconfig = parse(await import('node:fs').then((fs) => fs.readFileSync(file, 'utf8')));
    const exec = kubeconfig.users[0].user.exec;
    expect(exec).toMatchObject({
      apiVersion: 'client.authentication.k8s.io/v1',
      command: 'gatehouse',
      interactiveMode: 'IfAvailable',
    });
    expect(exec.args).toEqual(
      expect.arrayContaining([
        'token',
        '--exec-credential',
        '--issuer',
        ISSUER,
        '--client-id',
        CLIENT,
      ]),
    );
    expect(kubeconfig.clusters[0].cluster['certificate-authority-data']).toBeTruthy();

    // The login gatehouse login would have cached: here a token from the gateway's own issuer.
    const issuer = await DevIssuer.load(gw.devIssuerConfig);
    const token = await issuer.mint('frank', { groups: ['sre'] });
    await writeCachedToken(
      {
        issuer: ISSUER,
        clientId: CLIENT,
        token,
        expiresAt: Math.floor(Date.now() / 1000) + 3600,
        kind: 'access_token',
      },
      { env: { GATEHOUSE_CONFIG_DIR: home } },
    );
    const run = runKubectl(file, ['auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}'], {
      cacheDir: join(home, 'kube-cache'),
      env: { GATEHOUSE_CONFIG_DIR: home, PATH: `${home}:${process.env['PATH']}` },
    });
    const result = await run.done;
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe('frank');
  }, 60_000);
});
