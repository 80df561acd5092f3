/**
 * `gatehouse login` (OIDC device code, tokens cached per issuer), `gatehouse token
 * --exec-credential` (kubectl's credential plugin), `gatehouse kubeconfig <connector>`.
 */
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { stringify } from 'yaml';
import type { Config } from '../../config/schema.js';
import { loadConfig } from '../../connectors/registry.js';
import { loadClientConfig } from '../cli-context.js';
import { deviceLogin, type LoginTarget, refreshLogin } from '../oidc-device.js';
import { type CachedToken, readCachedToken, tokenFresh } from '../token-cache.js';
import { loginSsh } from './login-ssh.js';

export interface LoginOptions {
  config: string;
  issuer?: string;
  issuerName?: string;
  clientId?: string;
  scope?: string[];
  idToken?: boolean;
}

/** The issuer and client to log in with: from the flags, else from the config's `login:`. */
export async function loginTarget(options: LoginOptions): Promise<LoginTarget> {
  if (options.issuer && options.clientId) {
    return {
      issuer: options.issuer,
      clientId: options.clientId,
      scopes: options.scope?.length ? options.scope : ['openid', 'offline_access'],
      kind: options.idToken ? 'id_token' : 'access_token',
    };
  }
  const config = await loadClientConfig(options.config);
  const issuers = (config?.identity.issuers ?? []).filter(
    (i) => i.login && i.issuer && (!options.issuerName || i.name === options.issuerName),
  );
  const chosen = issuers[0];
  if (!chosen?.login || !chosen.issuer) {
    throw new Error(
      'no issuer to log in with: pass --issuer URL --client-id ID, or give an identity issuer a login: { client_id } in the config',
    );
  }
  return {
    issuer: options.issuer ?? chosen.issuer,
    clientId: options.clientId ?? chosen.login.client_id,
    scopes: options.scope?.length ? options.scope : chosen.login.scopes,
    kind: options.idToken ? 'id_token' : chosen.login.token,
  };
}

function addLoginOptions(command: Command): Command {
  return command
    .option('-c, --config <file>', 'config file (for the issuer)', './gatehouse.yaml')
    .option('--issuer <url>', 'issuer URL (else the config issuer with login:)')
    .option('--issuer-name <name>', 'which config issuer, when several have login:')
    .option('--client-id <id>', 'public client allowed the device code grant')
    .option('--scope <scope...>', 'scopes to ask for (default openid offline_access)')
    .option('--id-token', 'present the ID token instead of the access token');
}

type LoginCommandOptions = LoginOptions & {
  ssh?: boolean;
  sshDir?: string;
  connector?: string;
  token?: string;
  apiUrl?: string;
};

export function registerLoginCommand(program: Command): void {
  addLoginOptions(
    program
      .command('login')
      .description('sign in with your identity provider (device code); caches the tokens')
      .option('--ssh', 'also get a short-lived SSH certificate in ~/.gatehouse/ssh (docs/ssh.md)')
      .option('--ssh-dir <dir>', 'where --ssh writes the key, certificate and known_hosts')
      .option('--connector <name>', 'the SSH connector the printed ssh line uses')
      .option('--token <jwt>', 'with --ssh: this token instead of the cached login')
      .option('--api-url <url>', 'with --ssh: gateway API base URL (default: from the config)'),
  ).action(async function (this: Command, options: LoginCommandOptions) {
    if (options.ssh) return sshLogin(options);
    const target = await loginTarget(options);
    const entry = await deviceLogin(target, (text) => process.stderr.write(text));
    const until = new Date(entry.expiresAt * 1000).toISOString();
    this.configureOutput().writeOut?.(
      `logged in to ${target.issuer}; token valid until ${until}${entry.refreshToken ? ' (refreshable)' : ''}\n`,
    );
  });
}

/**
 * `login --ssh`: a certificate for the token given (--token, $GATEHOUSE_TOKEN), else for the
 * cached login (refreshed, or signed in anew when a person is at the terminal).
 */
async function sshLogin(options: LoginCommandOptions): Promise<void> {
  const token =
    options.token ??
    process.env['GATEHOUSE_TOKEN'] ??
    (await currentToken(await loginTarget(options), process.stdin.isTTY === true)).token;
  const result = await loginSsh({
    config: options.config,
    token,
    ...(options.apiUrl !== undefined && { apiUrl: options.apiUrl }),
    ...(options.connector !== undefined && { connector: options.connector }),
    ...(options.sshDir !== undefined && { dir: options.sshDir }),
  });
  process.stderr.write(`certificate valid until ${result.validUntil}: ${result.certificateFile}\n`);
  process.stdout.write(`${result.sshLine ?? '# the gateway has no SSH connector'}\n`);
}

/** What kubectl says about the plugin call (`KUBERNETES_EXEC_INFO`), as far as we use it. */
function execInfo(env: NodeJS.ProcessEnv): { apiVersion: string; interactive: boolean } {
  const fallback = { apiVersion: 'client.authentication.k8s.io/v1', interactive: false };
  const raw = env['KUBERNETES_EXEC_INFO'];
  if (!raw) return fallback;
  try {
    const info = JSON.parse(raw) as { apiVersion?: unknown; spec?: { interactive?: unknown } };
    return {
      apiVersion:
        typeof info.apiVersion === 'string' &&
        info.apiVersion.startsWith('client.authentication.k8s.io/')
          ? info.apiVersion
          : fallback.apiVersion,
      interactive: info.spec?.interactive === true,
    };
  } catch {
    return fallback;
  }
}

/**
 * A valid token for the target: the cached one while fresh, else refreshed, else (only when a
 * person is at the terminal) a new device login. Fails rather than prompt a non-interactive run.
 */
export async function currentToken(
  target: LoginTarget,
  interactive: boolean,
  env: NodeJS.ProcessEnv = process.env,
): Promise<CachedToken> {
  const cached = await readCachedToken(target.issuer, target.clientId, { env });
  if (cached && tokenFresh(cached)) return cached;
  if (cached?.refreshToken) {
    try {
      return await refreshLogin(target, cached, env);
    } catch (err) {
      if (!interactive) {
        throw new Error(
          `the cached login could not be refreshed (${(err as Error).message}); run gatehouse login`,
        );
      }
    }
  }
  if (!interactive) {
    throw new Error(
      `not logged in to ${target.issuer} (or the login expired): run gatehouse login --issuer ${target.issuer} --client-id ${target.clientId}`,
    );
  }
  return deviceLogin(target, (text) => process.stderr.write(text), env);
}

/** `gatehouse token --exec-credential`: an ExecCredential on stdout and nothing else. */
export async function printExecCredential(
  options: LoginOptions,
  write: (text: string) => void,
  env: NodeJS.ProcessEnv = process.env,
): Promise<void> {
  const info = execInfo(env);
  const target = await loginTarget(options);
  const entry = await currentToken(target, info.interactive, env);
  write(
    `${JSON.stringify({
      apiVersion: info.apiVersion,
      kind: 'ExecCredential',
      status: {
        token: entry.token,
        expirationTimestamp: new Date(entry.expiresAt * 1000)
          .toISOString()
          .replace(/\.\d{3}Z$/, 'Z'),
      },
    })}\n`,
  );
}

export { addLoginOptions };

interface KubeconfigOptions {
  config: string;
  output?: string;
  server?: string;
  ca?: string;
  issuerName?: string;
  execCommand: string;
}

/** The kubeconfig for one kubernetes connector: its address, CA, and the credential plugin. */
export function kubeconfigFor(
  config: Config,
  connectorName: string,
  options: Omit<KubeconfigOptions, 'config' | 'output'> & { target: LoginTarget; caPem: string },
): Record<string, unknown> {
  const connector = config.connectors.find((c) => c.name === connectorName);
  if (!connector) throw new Error(`no connector "${connectorName}" in the config`);
  if (connector.type !== 'kubernetes') {
    throw new Error(`connector "${connectorName}" is type ${connector.type}, not kubernetes`);
  }
  const host = connector.listen.host;
  if (!options.server && (host === '0.0.0.0' || host === '::')) {
    throw new Error(
      `connector "${connectorName}" listens on all interfaces: pass --server https://NAME:PORT`,
    );
  }
  const server =
    options.server ?? `https://${host.includes(':') ? `[${host}]` : host}:${connector.listen.port}`;
  const args = ['token', '--exec-credential', '--issuer', options.target.issuer];
  args.push('--client-id', options.target.clientId);
  if (options.target.kind === 'id_token') args.push('--id-token');
  args.push('--scope', ...options.target.scopes);
  const user = `gatehouse-${connectorName}`;
  return {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: connectorName,
        cluster: {
          server,
          'certificate-authority-data': Buffer.from(options.caPem).toString('base64'),
        },
      },
    ],
    users: [
      {
        name: user,
        user: {
          exec: {
            apiVersion: 'client.authentication.k8s.io/v1',
            command: options.execCommand,
            args,
            interactiveMode: 'IfAvailable',
            provideClusterInfo: false,
          },
        },
      },
    ],
    contexts: [{ name: connectorName, context: { cluster: connectorName, user } }],
    'current-context': connectorName,
  };
}

export function registerKubeconfigCommand(program: Command): void {
  program
    .command('kubeconfig <connector>')
    .description(
      'write a kubeconfig for a kubernetes connector (kubectl logs in through gatehouse)',
    )
    .option('-c, --config <file>', 'config file', './gatehouse.yaml')
    .option('-o, --output <file>', 'write here instead of stdout')
    .option(
      '--server <url>',
      "the gateway's address as clients reach it (default: the listen address)",
    )
    .option(
      '--ca <file>',
      "PEM of the CA that signed the gateway's certificate (default: the listener certificate)",
    )
    .option('--issuer-name <name>', 'which config issuer, when several have login:')
    .option('--exec-command <path>', 'the gatehouse command kubectl runs', 'gatehouse')
    .action(async function (this: Command, name: string, options: KubeconfigOptions) {
      const config = await loadConfig(options.config, { checkReferences: false });
      const connector = config.connectors.find((c) => c.name === name);
      const certRef =
        connector?.tls?.cert ?? (config.server.tls && { file: config.server.tls.cert });
      const caFile = options.ca ?? (certRef && 'file' in certRef ? certRef.file : undefined);
      if (!caFile) {
        throw new Error('say which CA signed the gateway certificate: --ca FILE');
      }
      const target = await loginTarget({
        config: options.config,
        ...(options.issuerName !== undefined && { issuerName: options.issuerName }),
      });
      const kubeconfig = kubeconfigFor(config, name, {
        ...options,
        target,
        caPem: readFileSync(resolve(caFile), 'utf8'),
      });
      const text = stringify(kubeconfig);
      if (options.output) {
        await writeFile(options.output, text, { mode: 0o600 });
        this.configureOutput().writeErr?.(`wrote ${options.output} (context ${name})\n`);
      } else {
        this.configureOutput().writeOut?.(text);
      }
    });
}
