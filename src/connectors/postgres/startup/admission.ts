/**
 * From a verified startup to a session the gate knows about: token → identity, `access`, the
 * database, the target login with the connector's own credentials, the gate session, and the
 * greeting the client sees (AuthenticationOk … ReadyForQuery).
 */

import type { ClientInfo } from '../../../core/audit-sink.js';
import type { ConnectorDeps } from '../../../core/connector.js';
import { GatehouseError } from '../../../core/errors.js';
import { type GateSession, mayConnect } from '../../../core/gate.js';
import { prepareSessionMasking, type SessionMasking } from '../masking/session-masking.js';
import { authenticationOk, backendKeyData, readyForQuery } from '../protocol/backend.js';
import { errorMessage, PgError } from '../protocol/errors.js';
import { BackendCode } from '../protocol/message-codes.js';
import { type PostgresConnectorConfig, postgresConfig } from '../target/config.js';
import { connectTarget, type TargetConnection } from '../target/target.js';
import { splitStartupParams } from './startup-params.js';

export interface Admission {
  gateSession: GateSession;
  target: TargetConnection;
  database: string;
  /** Startup parameters the client sent that were not forwarded. */
  dropped: string[];
  masking?: SessionMasking;
}

/** Throws GatehouseError (token_invalid, access_denied, target_unavailable, …) or PgError. */
export async function admit(
  deps: ConnectorDeps,
  params: ReadonlyMap<string, string>,
  token: string,
  client: ClientInfo,
): Promise<Admission> {
  const name = deps.config.name;
  const identity = await deps.authenticator.authenticate(token);
  // Checked before the target is contacted, so refused identities cost it nothing.
  const live = postgresConfig(deps.gate.connectorConfig(name));
  if (!mayConnect(live, identity)) {
    throw new GatehouseError(
      'access_denied',
      `${identity.subject} may not use connector "${name}"`,
    );
  }
  const database = resolveDatabase(live, params);
  const { forwarded, dropped, reason } = splitStartupParams(params);
  const masking = await prepareSessionMasking(deps, live, identity, database);
  const target = await connectTarget({
    host: live.target.host,
    port: live.target.port,
    user: live.target.user!,
    database,
    password: live.target.password && deps.secret(live.target.password),
    tls: live.target.tls,
    params: forwarded,
  });
  try {
    const gateSession = await deps.gate.openSession(
      name,
      'postgres',
      identity,
      reason ? { ...client, reason } : client,
      { database },
      masking?.audit,
    );
    return { gateSession, target, database, dropped, masking };
  } catch (err) {
    target.socket.destroy();
    throw err;
  }
}

/** What the client receives once admitted, in one write. */
export function greeting(admission: Admission, key: { pid: number; secret: number }): Buffer {
  const parts = [authenticationOk(), ...admission.target.parameterStatus];
  if (admission.dropped.length > 0) {
    parts.push(
      errorMessage(
        {
          severity: 'WARNING',
          code: '01000',
          message: `gatehouse: startup parameters not forwarded to the target: ${admission.dropped.join(', ')}`,
          hint: 'use SET statements instead',
        },
        BackendCode.NoticeResponse,
      ),
    );
  }
  parts.push(backendKeyData(key.pid, key.secret), readyForQuery('I'));
  return Buffer.concat(parts);
}

/**
 * The database a session opens: the configured one. A client may name it explicitly, or name
 * nothing (libpq then sends its user name); any other name is refused. Without a configured
 * database, the client's choice is used.
 */
export function resolveDatabase(
  config: PostgresConnectorConfig,
  params: ReadonlyMap<string, string>,
): string {
  const configured = config.target.database;
  const asked = params.get('database');
  if (!configured) return asked || config.target.user!;
  if (!asked || asked === configured || asked === params.get('user')) return configured;
  throw new PgError({
    severity: 'FATAL',
    code: '3D000',
    message: `gatehouse: database "${asked}" is not available through connector "${config.name}"`,
    hint: `connect to database "${configured}"`,
  });
}
