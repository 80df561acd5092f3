import type { Logger } from 'pino';
import type { ConnectorConfig } from '../config/schema.js';
import type { Gate } from './gate.js';
import type { Authenticator } from './identity.js';

/** TLS material for client-facing listeners (PEM), from `server.tls`. */
export interface ListenerTls {
  cert: string;
  key: string;
}

/** Everything a connector gets from the composition root; one validated object. */
export interface ConnectorDeps {
  config: ConnectorConfig;
  gate: Gate;
  authenticator: Authenticator;
  logger: Logger;
  /** Resolves `{env}` / `{file}` references at the moment they are needed. */
  secret: (ref: import('../config/schema.js').SecretRef) => string;
  tls?: ListenerTls;
  /** Public URL of the API/console, used in notices that link to a ticket. */
  publicUrl: string;
  /**
   * The connector's compiled `masking` rules (docs/masking.md); absent when it has none. Neutral: the
   * connector resolves which column a value belongs to and asks the session's masker.
   */
  masking?: import('../masking/index.js').MaskingPlan;
  /**
   * Key material kept across restarts and shared by replicas (an SSH host key); absent in
   * tests and tools that start a connector alone, which then generate keys for the process.
   */
  keys?: import('./key-store.js').KeyStore;
}

/** A listener for one protocol. Created by a factory, started once, stopped once. */
export interface Connector {
  readonly name: string;
  readonly type: ConnectorConfig['type'];
  /** Binds the listener; resolves when it accepts connections. */
  start(): Promise<void>;
  /** The bound address (useful when the config asked for port 0). */
  address(): { host: string; port: number };
  /** Stops accepting; waits up to `drainMs` for sessions to end, then closes the rest. */
  stop(drainMs?: number): Promise<void>;
  /** Number of open client sessions. */
  sessionCount(): number;
}

export type ConnectorFactory = (deps: ConnectorDeps) => Connector;
