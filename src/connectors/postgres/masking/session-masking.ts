/**
 * Per-session masking set-up at admission: the identity's masker, the catalog names column
 * rules need (loaded before the first query), the audit masking handed to the gate, and the
 * response transform. Nothing is set up when no rule applies to the identity.
 */
import { readFileSync } from 'node:fs';
import type { ConnectorDeps } from '../../../core/connector.js';
import { GatehouseError } from '../../../core/errors.js';
import type { AuditMasking } from '../../../core/gate.js';
import type { Identity } from '../../../core/identity.js';
import type { MaskingPlan, SessionMasker } from '../../../masking/index.js';
import type { ResponseTransform } from '../session/relay.js';
import type { PostgresConnectorConfig } from '../target/config.js';
import { type CatalogLogin, MaskingCatalog } from './catalog.js';
import { SessionLineage } from './lineage-mask.js';
import { maskingTransform } from './transform.js';

export interface SessionMasking {
  masker: SessionMasker;
  /** For `Gate.openSession`: masks recorded commands, records exemptions. */
  audit: AuditMasking;
  /** Undefined when no rule applies (responses pass untouched). */
  transform: ResponseTransform | undefined;
  /** Column rules apply: every result must be described, so the gateway describes portals. */
  describePortals: boolean;
}

/** One catalog per compiled plan, i.e. per connector (and per reload). */
const catalogs = new WeakMap<MaskingPlan, MaskingCatalog>();

/**
 * Throws `target_unavailable` when column rules apply and the catalog cannot be read: the
 * session is refused rather than relayed without knowing which columns to mask.
 */
export async function prepareSessionMasking(
  deps: ConnectorDeps,
  live: PostgresConnectorConfig,
  identity: Identity,
  database: string,
): Promise<SessionMasking | undefined> {
  const plan = deps.masking;
  if (!plan) return undefined;
  const { plan: masker, exemptions } = plan.forIdentity(identity.groups);
  if (!masker.active && exemptions.length === 0) return undefined;
  const audit: AuditMasking = { maskText: (text) => masker.maskText(text), exemptions };
  if (!masker.active) return { masker, audit, transform: undefined, describePortals: false };
  if (!masker.hasColumnRules) {
    const transform = maskingTransform(masker, () => undefined);
    return { masker, audit, transform, describePortals: false };
  }
  let catalog = catalogs.get(plan);
  if (!catalog) {
    catalog = new MaskingCatalog();
    catalogs.set(plan, catalog);
  }
  const login = catalogLogin(deps, live, database);
  try {
    await catalog.warm(login);
  } catch (err) {
    deps.logger.warn({ err }, 'masking: could not read the target catalog');
    throw new GatehouseError(
      'target_unavailable',
      'masking needs the target catalog, which could not be read',
    );
  }
  const known = catalog;
  const refresh = () => known.refresh(login);
  // The masker depends on the groups only: sessions of the same groups share word lists.
  const groups = [...identity.groups].sort().join('\u0000');
  const lineage = new SessionLineage(masker, () => known.loaded(database), refresh, groups);
  const transform = maskingTransform(
    masker,
    (oid, attnum) => known.lookup(database, oid, attnum),
    refresh,
    lineage,
  );
  return { masker, audit, transform, describePortals: true };
}

function catalogLogin(
  deps: ConnectorDeps,
  live: PostgresConnectorConfig,
  database: string,
): CatalogLogin {
  const target = live.target;
  const tls = typeof target.tls === 'string' ? { mode: target.tls } : target.tls;
  const ca = tls.ca && !tls.ca.includes('-----BEGIN') ? readFileSync(tls.ca, 'utf8') : tls.ca;
  return {
    host: target.host,
    port: target.port,
    user: target.user!,
    password: target.password && deps.secret(target.password),
    database,
    ssl:
      tls.mode === 'disable'
        ? false
        : { rejectUnauthorized: tls.mode === 'verify-full', ca, servername: tls.servername },
  };
}
