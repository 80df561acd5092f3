/**
 * From a verified startup to a session the gate knows about: token → identity, `access`, the
 * database, the target login with the connector's own credentials, the gate session, and the
 * greeting the client sees (AuthenticationOk … ReadyForQuery).
 */

import type { ClientInfo } from '../../../core/audit-sink.js';
import type { ConnectorDeps } from '../../../core/connector.js';
import { GatehouseError, isGatehouseError } from '../../../core/errors.js';
import { type GateSession, mayConnect, type Permit } from '../../../core/gate.js';
import type { SqlClassifier } from '../classify/classifier.js';
import { prepareSessionMasking, type SessionMasking } from '../masking/session-masking.js';
import { authenticationOk, backendKeyData, readyForQuery } from '../protocol/backend.js';
import { errorMessage, PgError } from '../protocol/errors.js';
import { BackendCode } from '../protocol/message-codes.js';
import { sqlCommand } from '../session/command.js';
import { type PostgresConnectorConfig, postgresConfig } from '../target/config.js';
import { connectTarget, type TargetConnection } from '../target/target.js';
import {
  encodeStartupOptions,
  parseStartupOptions,
  pinnedSettingProblem,
  type StartupSetting,
  settingStatement,
} from './startup-options.js';
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
  classifier: SqlClassifier,
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
  const { forwarded, dropped, options } = splitStartupParams(params);
  const { settings, reason } = parseStartupOptions(options);
  for (const setting of settings) {
    const problem = pinnedSettingProblem(setting);
    if (problem) {
      throw new PgError({
        severity: 'FATAL',
        code: '42501',
        message: `gatehouse: startup option "${setting.name}" refused: ${problem}`,
        hint: 'connect without it; a SET statement is classified like any other command',
      });
    }
  }
  const masking = await prepareSessionMasking(deps, live, identity, database);
  const openSession = () =>
    deps.gate.openSession(
      name,
      'postgres',
      identity,
      reason ? { ...client, reason } : client,
      { database },
      masking?.audit,
    );
  // Settings are decided (and recorded) before the target sees them: the session opens first.
  const early = settings.length > 0 ? await openSession() : undefined;
  let permits: Permit[] = [];
  if (early) {
    try {
      permits = await checkSettings(early, classifier, settings, { database });
    } catch (err) {
      await early.close('startup option refused');
      throw err;
    }
  }
  let target: TargetConnection;
  try {
    target = await connectTarget({
      host: live.target.host,
      port: live.target.port,
      user: live.target.user!,
      database,
      password: live.target.password && deps.secret(live.target.password),
      tls: live.target.tls,
      params:
        settings.length > 0 ? { ...forwarded, options: encodeStartupOptions(settings) } : forwarded,
    });
  } catch (err) {
    if (early) {
      const refused = settingRefusal(err);
      for (const permit of permits) {
        early.complete(permit, { error: refused ?? { message: (err as Error).message } });
      }
      await early.close('target refused the connection');
      if (refused) throw new PgError({ severity: 'FATAL', ...refused, message: refused.message });
    }
    throw err;
  }
  for (const permit of permits) early!.complete(permit, { tag: 'SET' });
  try {
    const gateSession = early ?? (await openSession());
    return { gateSession, target, database, dropped, masking };
  } catch (err) {
    target.socket.destroy();
    throw err;
  }
}

/**
 * Each setting through the gate as the `SET` it amounts to: classified, decided, recorded as a
 * command of the session. A refusal names the setting; a review cannot happen during startup.
 */
async function checkSettings(
  session: GateSession,
  classifier: SqlClassifier,
  settings: ReadonlyArray<StartupSetting>,
  scope: Readonly<Record<string, string>>,
): Promise<Permit[]> {
  const permits: Permit[] = [];
  for (const setting of settings) {
    const text = settingStatement(setting);
    try {
      permits.push(
        await session.check(sqlCommand(text, classifier.classify(text), scope), {
          reviewUnavailable: 'cannot happen while the connection starts',
        }),
      );
    } catch (err) {
      if (!isGatehouseError(err)) throw err;
      throw new GatehouseError(
        err.code,
        `startup option "${setting.name}" refused: ${err.message}`,
        {
          ...err.details,
          hint: 'connect without it, or run it as a SET statement once connected',
        },
        { cause: err },
      );
    }
  }
  return permits;
}

/**
 * The target's own refusal of a forwarded setting (an invalid value, an unknown parameter, a
 * permission), shown to the client as PostgreSQL would show it; undefined for other failures.
 */
function settingRefusal(err: unknown): { code: string; message: string } | undefined {
  if (!isGatehouseError(err) || err.code !== 'target_unavailable') return undefined;
  const match = /^([0-9A-Z]{5}): (.*)$/s.exec(err.details.detail ?? '');
  if (!match || /^(28|08)/.test(match[1]!)) return undefined;
  return { code: match[1]!, message: match[2]! };
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
