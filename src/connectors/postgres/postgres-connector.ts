/**
 * The PostgreSQL connector: listener, TLS, and the path from a new connection to a relaying
 * session (handshake → token → access → target login → gate session).
 */
import { createServer, type Server, type Socket } from 'node:net';
import { createSecureContext, type SecureContext } from 'node:tls';
import { isLoopback } from '../../config/schema.js';
import type { Connector, ConnectorDeps } from '../../core/connector.js';
import { isGatehouseError } from '../../core/errors.js';
import type { GateSession } from '../../core/gate.js';
import { loadSqlClassifier, type SqlClassifier } from './classify/classifier.js';
import {
  errorMessage,
  gatehouseErrorFields,
  PgError,
  type PgErrorFields,
} from './protocol/errors.js';
import { FrameError } from './protocol/frame-reader.js';
import { SocketClosedError } from './protocol/socket-frames.js';
import type { ResponseTransform } from './session/relay.js';
import { PostgresSession } from './session/session.js';
import { admit, greeting } from './startup/admission.js';
import { CancelRegistry } from './startup/cancel-registry.js';
import { clientHandshake } from './startup/handshake.js';
import { postgresConfig } from './target/config.js';
import { cancelOnTarget, type TargetConnection } from './target/target.js';

export interface PostgresConnectorOptions {
  /** Defaults to the libpg-query classifier. */
  loadClassifier?: () => Promise<SqlClassifier>;
  /** Per-session response rewriting (masking); undefined means responses pass untouched. */
  responseTransform?: (session: GateSession) => ResponseTransform | undefined;
  /** Time a client has from connecting to sending its token (default 30 s). */
  startupTimeoutMs?: number;
}

/** Client messages larger than this end the connection unless `max_message_bytes` says otherwise. */
export const DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

export function createPostgresConnector(
  deps: ConnectorDeps,
  options: PostgresConnectorOptions = {},
): Connector {
  return new PostgresConnector(deps, options);
}

class PostgresConnector implements Connector {
  readonly name: string;
  readonly type = 'postgres' as const;
  readonly #deps: ConnectorDeps;
  readonly #options: PostgresConnectorOptions;
  readonly #sessions = new Set<PostgresSession>();
  readonly #handshaking = new Set<Socket>();
  readonly #cancels = new CancelRegistry();
  #server: Server | undefined;
  #classifier: SqlClassifier | undefined;
  #secureContext: SecureContext | undefined;

  constructor(deps: ConnectorDeps, options: PostgresConnectorOptions) {
    if (!postgresConfig(deps.config).target.user) {
      throw new TypeError(`connector "${deps.config.name}": target.user is required for postgres`);
    }
    this.name = deps.config.name;
    this.#deps = deps;
    this.#options = options;
  }

  async start(): Promise<void> {
    if (this.#server) throw new TypeError(`connector "${this.name}" is already started`);
    this.#classifier = await (this.#options.loadClassifier ?? loadSqlClassifier)();
    const { tls, config, logger } = this.#deps;
    if (tls) this.#secureContext = createSecureContext({ cert: tls.cert, key: tls.key });
    if (!tls && !isLoopback(config.listen.host)) {
      logger.warn('listener is not on loopback and has no TLS: every client will be refused');
    }
    const server = createServer({ noDelay: true }, (socket) => void this.#accept(socket));
    this.#server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.listen.port, config.listen.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (err) => logger.error({ err }, 'listener error'));
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
    for (const socket of this.#handshaking) socket.destroy();
    const ended = Promise.all([...this.#sessions].map((session) => session.closed));
    const shutdown: PgErrorFields = {
      severity: 'FATAL',
      code: '57P01',
      message: 'terminating connection due to administrator command',
    };
    // Each session ends as soon as it is idle: commands already running finish (up to the
    // drain deadline); held ones were released by the gate's shutdown, their tickets kept.
    const deadline = AbortSignal.timeout(drainMs);
    await Promise.all(
      [...this.#sessions].map(async (session) => {
        await session.idle(deadline);
        session.terminate(shutdown);
      }),
    );
    await ended;
    await closed;
  }

  async #accept(socket: Socket): Promise<void> {
    const { config, logger } = this.#deps;
    this.#handshaking.add(socket);
    socket.on('error', (err) => logger.debug({ err }, 'client socket error during startup'));
    let current = socket;
    let target: TargetConnection | undefined;
    try {
      const deadline = AbortSignal.timeout(this.#options.startupTimeoutMs ?? 30_000);
      const handshake = await clientHandshake(socket, {
        secureContext: this.#secureContext,
        plaintextAllowed: isLoopback(config.listen.host),
        deadline,
      });
      if (handshake.kind === 'cancel') {
        socket.destroy();
        await this.#cancel(handshake.pid, handshake.secret);
        return;
      }
      current = handshake.socket;
      const client = {
        address: socket.remoteAddress ?? '',
        port: socket.remotePort,
        tls: handshake.tls,
      };
      const admitted = await admit(
        this.#deps,
        this.#classifier!,
        handshake.params,
        handshake.token,
        client,
      );
      const { gateSession, database } = admitted;
      target = admitted.target;
      const connected = admitted.target;
      const live = postgresConfig(this.#deps.gate.connectorConfig(this.name));
      let relaying: PostgresSession | undefined;
      const key = this.#cancels.issue({
        // A command held for review has not reached the target: cancelling ends its wait.
        cancel: async () => {
          if (relaying?.cancelWait()) return;
          const send = () => cancelOnTarget(live.target, connected.pid, connected.secret);
          if (!relaying) return send();
          relaying.cancelOnTarget(() => {
            send().catch((err) => logger.warn({ err }, 'cancel request failed'));
          });
        },
      });
      current.write(greeting(admitted, key));
      handshake.frames.detach();
      const reader = handshake.frames.reader;
      reader.maxLength = config.max_message_bytes ?? DEFAULT_MAX_MESSAGE_BYTES;
      const session: PostgresSession = new PostgresSession({
        client: current,
        clientReader: reader,
        target,
        gate: gateSession,
        classifier: this.#classifier!,
        commandTarget: Object.freeze({ database }),
        logger: logger.child({ session: gateSession.id }),
        transform: admitted.masking?.transform ?? this.#options.responseTransform?.(gateSession),
        describePortals: admitted.masking?.describePortals,
        onClose: () => {
          key.release();
          this.#sessions.delete(session);
        },
      });
      relaying = session;
      this.#handshaking.delete(socket);
      this.#sessions.add(session);
      session.start();
      gateSession.endAtTokenExpiry((err) => {
        // A statement running on the target is cancelled, so it ends now, not when it finishes.
        if (session.busy) {
          cancelOnTarget(live.target, connected.pid, connected.secret).catch((cause) =>
            logger.warn({ err: cause }, 'cancel at token expiry failed'),
          );
        }
        session.expire(err);
      });
    } catch (err) {
      this.#handshaking.delete(socket);
      target?.socket.destroy();
      this.#refuse(current, err);
    }
  }

  async #cancel(pid: number, secret: Buffer): Promise<void> {
    const target = this.#cancels.lookup(pid, secret);
    if (!target) {
      this.#deps.logger.info({ pid }, 'cancel request with an unknown key ignored');
      return;
    }
    await target.cancel().catch((err) => this.#deps.logger.warn({ err }, 'cancel request failed'));
  }

  /** Ends a connection that did not make it to a session, with a FATAL error when one applies. */
  #refuse(socket: Socket, err: unknown): void {
    const logger = this.#deps.logger;
    let fields: PgErrorFields | undefined;
    if (isGatehouseError(err)) fields = gatehouseErrorFields(err, 'FATAL');
    else if (err instanceof PgError) fields = err.fields;
    else if (err instanceof FrameError || err instanceof RangeError) {
      fields = {
        severity: 'FATAL',
        code: '08P01',
        message: `gatehouse: invalid startup packet: ${err.message}`,
      };
    } else if (err instanceof Error && err.name === 'TimeoutError') {
      fields = { severity: 'FATAL', code: '08P01', message: 'gatehouse: startup timed out' };
    } else if (!(err instanceof SocketClosedError)) {
      logger.error({ err }, 'connection setup failed');
      fields = { severity: 'FATAL', code: 'XX000', message: 'gatehouse: internal gateway error' };
    }
    if (fields) logger.info({ code: fields.code, reason: fields.message }, 'connection refused');
    if (socket.destroyed) return;
    if (fields) socket.end(errorMessage(fields));
    else socket.end();
    setTimeout(() => socket.destroy(), 2_000).unref();
  }
}
