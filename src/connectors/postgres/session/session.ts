/**
 * One client session after startup: client messages go through the gate to the target, target
 * responses come back in bulk. Owns both sockets, flow control and the teardown.
 */

import type { Socket } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import type { Logger } from 'pino';
import { GatehouseError } from '../../../core/errors.js';
import type { GateSession } from '../../../core/gate.js';
import { PreparedStatements, type SqlClassifier } from '../classify/classifier.js';
import { OutputBatch } from '../protocol/batch.js';
import { errorMessage, gatehouseErrorFields, type PgErrorFields } from '../protocol/errors.js';
import { FrameError, type FrameReader } from '../protocol/frame-reader.js';
import * as fe from '../protocol/frontend.js';
import type { TargetConnection } from '../target/target.js';
import { ClientMessages } from './messages.js';
import { NameTable } from './names.js';
import type { Portal, Statement } from './pending.js';
import { ProtocolDesyncError, ResponseRelay, type ResponseTransform } from './relay.js';

export interface SessionOptions {
  client: Socket;
  /** Reader of the client socket, possibly holding bytes already received. */
  clientReader: FrameReader;
  target: TargetConnection;
  gate: GateSession;
  classifier: SqlClassifier;
  /** Scope recorded on every command (`database`). */
  commandTarget: Readonly<Record<string, string>>;
  logger: Logger;
  transform?: ResponseTransform;
  /** The transform masks by column (see `MessageContext.describePortals`). */
  describePortals?: boolean;
  /** Called once, when both sockets are done with. */
  onClose?: () => void;
}

/** Client bytes buffered while a command waits on the gate before reading is paused. */
const CLIENT_HIGH_WATER = 4 * 1024 * 1024;
/** How long a closing socket may linger before it is destroyed. */
const LINGER_MS = 2_000;
/** How often a draining gateway looks whether a session is idle. */
const IDLE_POLL_MS = 20;

export class PostgresSession {
  readonly closed: Promise<void>;
  readonly #opts: SessionOptions;
  readonly #client: Socket;
  readonly #target: Socket;
  readonly #relay: ResponseRelay;
  readonly #messages: ClientMessages;
  readonly #toTarget = new OutputBatch();
  readonly #toClient = new OutputBatch();
  #resolveClosed!: () => void;
  #busy = false;
  #closing = false;
  #clientPaused = false;
  #targetFull = false;

  constructor(opts: SessionOptions) {
    this.#opts = opts;
    this.#client = opts.client;
    this.#target = opts.target.socket;
    this.closed = new Promise((resolve) => {
      this.#resolveClosed = resolve;
    });
    const statements = new NameTable<Statement>();
    const portals = new NameTable<Portal>();
    const prepared = new PreparedStatements();
    this.#relay = new ResponseRelay(opts.target.reader, {
      gate: opts.gate,
      statements,
      portals,
      prepared,
      transform: opts.transform,
    });
    this.#messages = new ClientMessages({
      gate: opts.gate,
      classifier: opts.classifier,
      prepared,
      statements,
      portals,
      relay: this.#relay,
      describePortals: opts.transform !== undefined && opts.describePortals === true,
      masked: opts.transform !== undefined,
      toTarget: this.#toTarget,
      flushTarget: () => this.#flushTarget(),
      writeClient: (bytes) => this.#client.write(bytes),
      terminate: () => this.#terminatedByClient(),
      target: opts.commandTarget,
      logger: opts.logger,
    });
  }

  /** Starts relaying; call once, in the same tick the handshake listeners were removed. */
  start(): void {
    const client = this.#client;
    const target = this.#target;
    client.on('data', this.#onClientData);
    client.on('error', (err) => this.#opts.logger.debug({ err }, 'client socket error'));
    client.on('close', () => this.#teardown('client disconnected'));
    target.on('data', this.#onTargetData);
    target.on('error', (err) => this.#opts.logger.warn({ err }, 'target socket error'));
    target.on('close', () =>
      this.#teardown(
        'target disconnected',
        this.#relay.sawFatal
          ? undefined
          : {
              severity: 'FATAL',
              code: '08006',
              message: 'gatehouse: the target closed the connection',
            },
      ),
    );
    // Either side may have gone while the session was being set up: 'close' will not come again.
    if (client.destroyed || target.destroyed) {
      this.#teardown(client.destroyed ? 'client disconnected' : 'target disconnected');
      return;
    }
    target.resume();
    client.resume();
    this.#onTargetData(undefined);
    this.#onClientData(undefined);
  }

  /** True while the target has a forwarded message to answer (a command may be running). */
  get busy(): boolean {
    return this.#relay.outstanding > 0;
  }

  /**
   * Passes the client's CancelRequest to the target (`send`) so that it hits the client's
   * command: deferred while the target runs the gateway's own hidden query (relay.ts).
   */
  cancelOnTarget(send: () => void): void {
    this.#relay.whenClientCommand(send);
  }

  /** Ends the wait of a command held for review (the client's CancelRequest); false when none is. */
  cancelWait(): boolean {
    return this.#messages.cancelWait();
  }

  /**
   * Resolves once nothing is in flight (no command between the gate's check and its outcome,
   * no answer awaited from the target), the session ended, or `signal` aborted: the moment a
   * draining gateway can end the session without cutting a command short.
   */
  async idle(signal: AbortSignal): Promise<void> {
    while (!signal.aborted && !this.#closing) {
      if (!this.#opts.gate.busy && this.#relay.outstanding === 0) return;
      await delay(IDLE_POLL_MS, undefined, { signal }).catch(() => undefined);
    }
  }

  /** Ends the session from the gateway's side (shutdown), telling the client why. */
  terminate(fields: PgErrorFields): void {
    this.#teardown('gateway shutdown', fields);
  }

  /**
   * Ends the session because its token expired (`GateSession.endAtTokenExpiry`): FATAL to the
   * client, Terminate to the target (which rolls back an open transaction), the reason recorded.
   */
  expire(err: GatehouseError): void {
    this.#teardown(err.message, gatehouseErrorFields(err, 'FATAL'));
  }

  readonly #onClientData = (chunk: Buffer | undefined): void => {
    const reader = this.#opts.clientReader;
    if (chunk) reader.push(chunk);
    if (!this.#busy) this.#pump();
    else this.#updateClientFlow();
  };

  readonly #onTargetData = (chunk: Buffer | undefined): void => {
    if (this.#closing) return;
    if (chunk) this.#opts.target.reader.push(chunk);
    try {
      this.#relay.relay(this.#toClient);
    } catch (err) {
      this.#fail(err);
      return;
    }
    if (!this.#toClient.writeTo(this.#client) && !this.#closing) {
      this.#target.pause();
      this.#client.once('drain', () => this.#target.resume());
    }
  };

  /**
   * Handles client messages in order. Runs synchronously until a message must wait (for the
   * gate or for the target), then resumes from the promise: no async hop on the common path.
   */
  #pump(): void {
    this.#busy = true;
    const reader = this.#opts.clientReader;
    try {
      while (!this.#closing && reader.next()) {
        const waiting = this.#messages.handle(reader);
        if (waiting !== undefined) {
          waiting.then(this.#resume, this.#abort);
          return;
        }
      }
      this.#flushTarget();
    } catch (err) {
      this.#fail(err);
    }
    this.#busy = false;
    this.#updateClientFlow();
  }

  readonly #resume = (): void => this.#pump();

  readonly #abort = (err: unknown): void => {
    this.#fail(err);
    this.#busy = false;
  };

  #flushTarget(): void {
    if (this.#closing || this.#toTarget.empty) return;
    this.#messages.flushed();
    if (this.#toTarget.writeTo(this.#target) || this.#targetFull) return;
    this.#targetFull = true;
    this.#updateClientFlow();
    this.#target.once('drain', () => {
      this.#targetFull = false;
      this.#updateClientFlow();
    });
  }

  #updateClientFlow(): void {
    const pause =
      this.#targetFull || (this.#busy && this.#opts.clientReader.buffered > CLIENT_HIGH_WATER);
    if (pause === this.#clientPaused || this.#closing) return;
    this.#clientPaused = pause;
    if (pause) this.#client.pause();
    else this.#client.resume();
  }

  #terminatedByClient(): void {
    this.#flushTarget();
    this.#teardown('client terminated');
  }

  /** Anything thrown while handling the session ends it with an error, never the process. */
  #fail(err: unknown): void {
    if (this.#closing) return;
    if (err instanceof GatehouseError) {
      this.#teardown(`error: ${err.message}`, gatehouseErrorFields(err, 'FATAL'));
    } else if (err instanceof FrameError || err instanceof RangeError) {
      this.#teardown(`protocol violation: ${err.message}`, {
        severity: 'FATAL',
        code: '08P01',
        message: `gatehouse: invalid message: ${err.message}`,
      });
    } else {
      const desync = err instanceof ProtocolDesyncError;
      this.#opts.logger.error(
        { err },
        desync ? 'lost track of the target protocol' : 'session failed',
      );
      this.#teardown('internal error', {
        severity: 'FATAL',
        code: 'XX000',
        message: 'gatehouse: internal gateway error',
      });
    }
  }

  #teardown(reason: string, clientError?: PgErrorFields): void {
    if (this.#closing) return;
    this.#closing = true;
    const { client, target, gate, logger } = {
      ...this.#opts,
      client: this.#client,
      target: this.#target,
    };
    logger.debug({ reason }, 'session ending');
    this.#messages.close();
    if (!client.destroyed) {
      if (clientError) client.end(errorMessage(clientError));
      else client.end();
      setTimeout(() => client.destroy(), LINGER_MS).unref();
    }
    if (!target.destroyed) {
      target.end(fe.terminate());
      setTimeout(() => target.destroy(), LINGER_MS).unref();
    }
    for (const item of this.#relay.queue) {
      if (item?.permit)
        gate.complete(item.permit, { error: { message: `connection closed (${reason})` } });
    }
    this.#opts.onClose?.();
    void gate.close(reason).finally(this.#resolveClosed);
  }
}
