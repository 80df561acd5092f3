/**
 * A whole gateway (composition root, SQLite store, dev issuer) with one `type: kubernetes`
 * connector in front of a test API server, from YAML validated like a user's file; and kubectl
 * runs through it with per-identity kubeconfigs.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { stringify } from 'yaml';
import type { IssuerConfig } from '../../../src/config/schema.js';
import { parseConfig } from '../../../src/connectors/registry.js';
import { DevIssuer } from '../../../src/identity/index.js';
import { type RunningGateway, startGateway } from '../../../src/server/gateway.js';
import { KUBECTL, type TestApiServer } from './apiserver.js';

export interface KubectlResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface K8sGateway extends AsyncDisposable {
  readonly gateway: RunningGateway;
  /** `https://127.0.0.1:<port>` of the kubernetes connector. */
  readonly url: string;
  readonly dir: string;
  readonly configFile: string;
  readonly devIssuerConfig: IssuerConfig;
  token(subject: string, claims?: { groups?: string[]; agent?: boolean }): Promise<string>;
  /** A kubeconfig for the connector holding `token` as a static bearer token. */
  kubeconfigWith(token: string): Promise<string>;
  /** Runs kubectl through the gateway as `subject` (async: the gateway runs in this process). */
  kubectl(
    subject: string,
    args: string[],
    options?: { groups?: string[]; agent?: boolean; input?: string },
  ): Promise<KubectlResult>;
  close(): Promise<void>;
}

export function runKubectl(
  kubeconfig: string,
  args: string[],
  options: { input?: string; env?: NodeJS.ProcessEnv; cacheDir: string },
): { done: Promise<KubectlResult>; kill: () => void; stdout: () => string } {
  const child = spawn(
    KUBECTL,
    ['--kubeconfig', kubeconfig, '--cache-dir', options.cacheDir, '--request-timeout=0', ...args],
    { env: { ...process.env, ...options.env }, stdio: ['pipe', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  child.stdin.end(options.input ?? '');
  const done = new Promise<KubectlResult>((resolve) => {
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
  return { done, kill: () => child.kill('SIGTERM'), stdout: () => stdout };
}

export async function startK8sGateway(
  api: TestApiServer,
  options: {
    rules?: unknown[];
    /** The gateway authenticates to the API server with its client certificate, not a token. */
    clientCert?: boolean;
    impersonate?: boolean;
    configure?: (raw: Record<string, unknown>) => void;
  } = {},
): Promise<K8sGateway> {
  const dir = await mkdtemp(join(tmpdir(), 'gatehouse-k8s-gw-'));
  const keyFile = join(dir, 'dev-issuer.key');
  const raw: Record<string, unknown> = {
    server: { api: { listen: '127.0.0.1:0' } },
    store: { url: `sqlite:${join(dir, 'gatehouse.db')}` },
    identity: { issuers: [{ name: 'dev', dev: true, key_file: keyFile }] },
    reviews: { approvers: ['sre'] },
    connectors: [
      {
        name: 'k8s',
        type: 'kubernetes',
        listen: '127.0.0.1:0',
        tls: { cert: { file: api.listenerCert.cert }, key: { file: api.listenerCert.key } },
        target: {
          server: api.url,
          ca: { file: api.caFile },
          ...(options.clientCert
            ? {
                client_cert: { file: api.gatewayClientCert.cert },
                client_key: { file: api.gatewayClientCert.key },
              }
            : { token: { file: api.gatewayTokenFile } }),
          impersonate: options.impersonate ?? true,
          secrets_exempt_groups: ['secret-readers'],
        },
        access: { groups: ['*'] },
        default: 'allow',
        rules: options.rules ?? [],
      },
    ],
  };
  options.configure?.(raw);
  const configFile = join(dir, 'gatehouse.yaml');
  await writeFile(configFile, stringify(raw));
  const config = parseConfig(stringify(raw), configFile);
  const devIssuerConfig = config.identity.issuers[0]!;
  const issuer = await DevIssuer.load(devIssuerConfig);
  const logger = pino({ level: process.env['GATEHOUSE_TEST_LOG'] ?? 'silent' });
  let gateway: RunningGateway;
  try {
    gateway = await startGateway(config, { logger, drainMs: 1000 });
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  const { port } = gateway.connectors[0]!.address();
  const url = `https://127.0.0.1:${port}`;
  const cacheDir = join(dir, 'kube-cache');
  const kubeconfigWith = async (token: string) => {
    const file = join(dir, `kubeconfig-${Math.random().toString(36).slice(2)}`);
    await writeFile(
      file,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'gw', cluster: { server: url, 'certificate-authority': api.caFile } }],
        users: [{ name: 'u', user: { token } }],
        contexts: [{ name: 'gw', context: { cluster: 'gw', user: 'u' } }],
        'current-context': 'gw',
      }),
    );
    return file;
  };
  const token = (subject: string, claims: { groups?: string[]; agent?: boolean } = {}) =>
    issuer.mint(subject, claims);
  let closed: Promise<void> | undefined;
  const close = () => {
    closed ??= gateway.close().finally(() => rm(dir, { recursive: true, force: true }));
    return closed;
  };
  return {
    gateway,
    url,
    dir,
    configFile,
    devIssuerConfig,
    token,
    kubeconfigWith,
    async kubectl(subject, args, kubectlOptions = {}) {
      const kubeconfig = await kubeconfigWith(
        await token(subject, {
          groups: kubectlOptions.groups ?? [],
          agent: kubectlOptions.agent ?? false,
        }),
      );
      return runKubectl(kubeconfig, args, { input: kubectlOptions.input, cacheDir }).done;
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}
