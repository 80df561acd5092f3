/**
 * The SSH connector: an SSH server (ssh2, pure JavaScript) where clients log in as
 * `<login>@gateway` with their OIDC token as the password (or keyboard-interactive answer),
 * and every exec, shell and subsystem request goes through the gate before the gateway opens
 * the same request on the target over its own SSH connection.
 */
import type { Server } from 'node:net';
import ssh2, { type Connection } from 'ssh2';
import type { ClientInfo } from '../../core/audit-sink.js';
import type { Connector, ConnectorDeps } from '../../core/connector.js';
import { GatehouseError, toGatehouseError } from '../../core/errors.js';
import { type GateSession, mayConnect } from '../../core/gate.js';
import type { Identity } from '../../core/identity.js';
import { verifySshCertificate } from '../../identity/ssh-certificates.js';
import { SshSession } from './session.js';
import { hostKeyBlobs, sshConfig } from './target/config.js';
import { checkSigningKey } from './target/user-certificate.js';

const { Server: SshServer, utils } = ssh2;

export interface SshConnectorOptions {
  /** The gateway's host key (OpenSSH private key); generated when absent. */
  hostKey?: string;
  /** Time a client has from connecting to authenticating (default 30 s). */
  authTimeoutMs?: number;
}

/** Failed token attempts before the connection is closed. */
const MAX_AUTH_FAILURES = 3;

export function createSshConnector(
  deps: ConnectorDeps,
  options: SshConnectorOptions = {},
): Connector {
  return new SshConnector(deps, options);
}

class SshConnector implements Connector {
  readonly name: string;
  readonly type = 'ssh' as const;
  readonly #deps: ConnectorDeps;
  readonly #options: SshConnectorOptions;
  readonly #sessions = new Set<SshSession>();
  readonly #connections = new Set<Connection>();
  #server: Server | undefined;

  constructor(deps: ConnectorDeps, options: SshConnectorOptions) {
    sshConfig(deps.config);
    this.name = deps.config.name;
    this.#deps = deps;
    this.#options = options;
  }

  async start(): Promise<void> {
    if (this.#server) throw new TypeError(`connector "${this.name}" is already started`);
    const { config, logger } = this.#deps;
    this.#checkCredential();
    const hostKey = this.#options.hostKey ?? (await this.#hostKey());
    const server = new SshServer({ hostKeys: [hostKey], ident: 'Gatehouse' }, (client, info) =>
      this.#accept(client, info),
    );
    this.#server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.listen.port, config.listen.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (err: Error) => logger.error({ err }, 'listener error'));
  }

  /** The target credential must be readable at start: a bad key fails the start, not a login. */
  #checkCredential(): void {
    const { target } = sshConfig(this.#deps.config);
    const name = `connector "${this.name}"`;
    try {
      hostKeyBlobs(target, this.#deps.secret);
    } catch (err) {
      throw new TypeError(`${name}: ${(err as Error).message}`);
    }
    if (target.user_ca)
      checkSigningKey(this.#deps.secret(target.user_ca), `${name}: target.user_ca`);
    if (target.private_key) {
      const parsed = utils.parseKey(this.#deps.secret(target.private_key));
      if (
        parsed instanceof Error ||
        (Array.isArray(parsed) ? parsed[0] : parsed)?.isPrivateKey() !== true
      ) {
        throw new TypeError(
          `${name}: target.private_key is not a readable, unencrypted private key`,
        );
      }
    }
  }

  async #hostKey(): Promise<string> {
    const keys = this.#deps.keys;
    const generate = () => utils.generateKeyPairSync('ed25519').private;
    if (!keys) {
      this.#deps.logger.warn(
        'no key store: the SSH host key is generated for this process only (clients will see it change)',
      );
      return generate();
    }
    return keys.getOrCreate(`ssh-host-key:${this.name}`, generate);
  }

  address(): { host: string; port: number } {
    const address = this.#server?.address();
    if (!address || typeof address === 'string') throw new TypeError('connector is not listening');
    return { host: address.address, port: address.port };
  }

  sessionCount(): number {
    return this.#sessions.size;
  }

  async stop(drainMs = 10_000): Promise<void> {
    const server = this.#server;
    if (!server) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    const ended = Promise.all([...this.#sessions].map((session) => session.closed));
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([ended, new Promise((resolve) => (timer = setTimeout(resolve, drainMs)))]);
    clearTimeout(timer);
    for (const connection of this.#connections) connection.end();
    await Promise.race([ended, new Promise((resolve) => setTimeout(resolve, 1000))]);
    await closed;
  }

  #accept(client: Connection, info: { ip: string; port: number }): void {
    const { logger, config } = this.#deps;
    this.#connections.add(client);
    let failures = 0;
    let admitted: { gateSession: GateSession; login: string } | undefined;
    const timer = setTimeout(() => {
      if (!admitted) client.end();
    }, this.#options.authTimeoutMs ?? 30_000);
    client.on('error', (err: Error) => logger.debug({ err }, 'client connection error'));
    client.on('close', () => {
      clearTimeout(timer);
      this.#connections.delete(client);
    });
    const clientInfo: ClientInfo = { address: info.ip, port: info.port, tls: true };

    const admit = async (login: string, token: string | Identity): Promise<void> => {
      const live = sshConfig(this.#deps.gate.connectorConfig(this.name));
      if (!live.target.logins.includes(login)) {
        throw new GatehouseError(
          'access_denied',
          `login "${login}" is not offered by connector "${this.name}"`,
        );
      }
      const identity: Identity =
        typeof token === 'string' ? await this.#deps.authenticator.authenticate(token) : token;
      if (!mayConnect(live, identity)) {
        throw new GatehouseError(
          'access_denied',
          `${identity.subject} may not use connector "${this.name}"`,
        );
      }
      const gateSession = await this.#deps.gate.openSession(
        this.name,
        'ssh',
        identity,
        clientInfo,
        {
          host: live.target.host,
          login,
        },
      );
      admitted = { gateSession, login };
    };

    client.on('authentication', (ctx) => {
      if (admitted) {
        ctx.reject();
        return;
      }
      const refuse = (err: unknown) => {
        const error = toGatehouseError(err);
        logger.info(
          { code: error.code, login: ctx.username, client: info.ip },
          `ssh login refused: ${error.message}`,
        );
        failures += 1;
        if (failures >= MAX_AUTH_FAILURES) {
          ctx.reject([]);
          client.end();
        } else ctx.reject(['publickey', 'password', 'keyboard-interactive']);
      };
      const tryToken = (token: string | undefined) => {
        if (!token) {
          refuse(new GatehouseError('token_missing', 'no token'));
          return;
        }
        admit(ctx.username, token.trim()).then(() => ctx.accept(), refuse);
      };
      if (ctx.method === 'password') {
        tryToken(ctx.password);
      } else if (ctx.method === 'keyboard-interactive') {
        ctx.prompt(
          [{ prompt: 'Gatehouse token: ', echo: false }],
          'Gatehouse',
          'Paste an OIDC access token (gatehouse token, or your identity provider).',
          (answers) => tryToken(answers[0]),
        );
      } else if (ctx.method === 'publickey' && this.#deps.keys) {
        // A certificate from `gatehouse login --ssh`; other keys are not accepted (not counted
        // as failures: OpenSSH offers every key it has).
        const keys = this.#deps.keys;
        // Copied now: ssh2 hands out views of its packet buffer, which the next packet reuses
        // while the certificate is checked.
        const presented = {
          algo: ctx.key.algo,
          data: Buffer.from(ctx.key.data),
          ...(ctx.signature &&
            ctx.blob && { signature: Buffer.from(ctx.signature), blob: Buffer.from(ctx.blob) }),
        };
        verifySshCertificate(keys, presented, Date.now()).then(
          (identity) => {
            if (!ctx.signature) {
              ctx.accept();
              return;
            }
            admit(ctx.username, identity).then(() => ctx.accept(), refuse);
          },
          (err: unknown) => {
            logger.debug({ err, login: ctx.username }, 'ssh public key refused');
            ctx.reject(['publickey', 'password', 'keyboard-interactive']);
          },
        );
      } else {
        ctx.reject(
          this.#deps.keys
            ? ['publickey', 'password', 'keyboard-interactive']
            : ['password', 'keyboard-interactive'],
        );
      }
    });

    client.on('ready', () => {
      clearTimeout(timer);
      if (!admitted) {
        client.end();
        return;
      }
      const session = new SshSession({
        deps: this.#deps,
        connector: this.name,
        client,
        gateSession: admitted.gateSession,
        login: admitted.login,
      });
      this.#sessions.add(session);
      void session.closed.then(() => this.#sessions.delete(session));
      logger.debug({ login: admitted.login, config: config.name }, 'ssh session ready');
    });
    client.on('close', () => {
      if (admitted && ![...this.#sessions].some((s) => s.gateSession === admitted?.gateSession)) {
        void admitted.gateSession.close('client disconnected');
      }
    });
  }
}
