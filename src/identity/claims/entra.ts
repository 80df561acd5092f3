import type { JWTPayload } from 'jose';
import type { IssuerConfig } from '../../config/schema.js';
import { GatehouseError } from '../../core/errors.js';
import type { GraphGroupResolver } from '../graph.js';
import {
  type ClaimMapper,
  type MappedClaims,
  readClaim,
  stringClaim,
  stringListClaim,
  subjectClaim,
  unique,
} from './claim-values.js';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The tenant an Entra issuer stands for: the `tenant` key, else the first path segment of the
 * issuer URL (`https://login.microsoftonline.com/{tid}/v2.0`, `https://sts.windows.net/{tid}/`).
 * Multi-tenant forms (`common`, `organizations`) are refused: every token's `tid` is checked.
 */
export function entraTenantOf(config: Pick<IssuerConfig, 'name' | 'issuer' | 'tenant'>): string {
  const fromUrl = config.issuer ? new URL(config.issuer).pathname.split('/')[1] : undefined;
  const tenant = config.tenant ?? fromUrl;
  if (!tenant || !GUID.test(tenant)) {
    throw new TypeError(
      `identity issuer "${config.name}": kind entra needs a tenant id (a GUID) in the issuer URL or in "tenant"`,
    );
  }
  return tenant.toLowerCase();
}

/**
 * `iss` values an Entra issuer accepts: the configured URL, and the tenant's v1
 * (`https://sts.windows.net/{tid}/`) and v2 (`https://login.microsoftonline.com/{tid}/v2.0`)
 * issuers. Entra signs both versions with the same keys, so all are checked against the
 * configured issuer's JWKS; the `tid` check keeps other tenants out (Entra's keys are shared).
 */
export function entraIssuerAliases(configuredIssuer: string, tenant: string): string[] {
  return unique([
    configuredIssuer,
    `https://sts.windows.net/${tenant}/`,
    `https://login.microsoftonline.com/${tenant}/v2.0`,
  ]);
}

/**
 * `kind: entra` claim rules: `tid` must be the issuer's tenant; subject is `oid`; `groups` and
 * app `roles` become groups; app-only tokens (`idtyp: app`, or no delegated scope `scp`, as
 * with `roles` and no `scp`) are agents. A groups-overage token is resolved through Microsoft Graph
 * when configured and refused otherwise; it is never read as "no groups".
 */
export function entraMapper(
  issuerName: string,
  tenant: string,
  graph: GraphGroupResolver | undefined,
): ClaimMapper {
  return async (claims) => {
    const tid = stringClaim(claims, 'tid');
    if (tid?.toLowerCase() !== tenant) {
      throw new GatehouseError(
        'token_invalid',
        `token tenant ${JSON.stringify(tid ?? null)} is not the tenant of issuer "${issuerName}"`,
      );
    }
    const subject = subjectClaim(claims, 'oid');
    const roles = stringListClaim(claims, 'roles');
    const groups = hasGroupsOverage(claims)
      ? await overageGroups(issuerName, subject, graph)
      : stringListClaim(claims, 'groups');
    const idtyp = stringClaim(claims, 'idtyp');
    // Delegated (user) tokens always carry `scp`; without it, and unless Entra says `idtyp: user`,
    // the caller is an application. When unsure, agent is the more restrictive reading.
    const appOnly = idtyp === 'app' || (readClaim(claims, 'scp') === undefined && idtyp !== 'user');
    const mapped: MappedClaims = {
      subject,
      groups: unique([...groups, ...roles]),
      agent: appOnly,
      tenant,
    };
    const name = displayName(claims, appOnly);
    if (name) mapped.name = name;
    return mapped;
  };
}

/** Overage: `_claim_names.groups` (access and ID tokens) or `hasgroups` (implicit-flow ID tokens). */
function hasGroupsOverage(claims: JWTPayload): boolean {
  const names = claims['_claim_names'];
  const named = typeof names === 'object' && names !== null && Object.hasOwn(names, 'groups');
  return named || claims['hasgroups'] === true;
}

async function overageGroups(
  issuerName: string,
  objectId: string,
  graph: GraphGroupResolver | undefined,
): Promise<string[]> {
  if (!graph) {
    throw new GatehouseError(
      'token_invalid',
      'token omits its groups because the user is in too many (Entra groups overage)',
      {
        hint: `configure identity.issuers "${issuerName}" graph (client_id, client_secret) so Gatehouse can read the groups from Microsoft Graph, or limit the groups emitted in the app registration`,
      },
    );
  }
  // The token's own _claim_sources endpoint is ignored: fetching a URL named by the token would
  // let its sender point us anywhere. Graph is reached only at the configured endpoint.
  return graph.groupsOf(objectId);
}

function displayName(claims: JWTPayload, appOnly: boolean): string | undefined {
  const candidates = appOnly
    ? ['app_displayname', 'name', 'azp', 'appid']
    : ['name', 'preferred_username', 'upn', 'unique_name'];
  for (const claim of candidates) {
    const value = claims[claim];
    if (typeof value === 'string' && value) return value;
  }
  return undefined;
}
