import type { JWTPayload } from 'jose';
import type { IssuerConfig } from '../config/schema.js';
import type { Identity } from '../core/identity.js';
import type { MappedClaims } from './claims/claim-values.js';

/** Default tolerance for `exp`/`nbf` against clocks that drift a little. */
export const DEFAULT_CLOCK_SKEW_MS = 30_000;

/** One configured issuer, able to verify the tokens whose `iss` it answers for. */
export interface IssuerVerifier {
  readonly name: string;
  /** Every `iss` value this issuer accepts. */
  readonly issuers: readonly string[];
  /** Verifies fully; throws `token_invalid` or `issuer_unavailable`. */
  authenticate(token: string): Promise<Identity>;
  /** Fetches discovery and keys ahead of the first token; never throws. */
  warmUp(): Promise<void>;
}

/** `audience` as a list. */
export function audiences(config: Pick<IssuerConfig, 'audience'>): string[] {
  const { audience } = config;
  if (audience === undefined) return [];
  return Array.isArray(audience) ? audience : [audience];
}

/** Completes an identity: issuer fields, expiry, and the issuer's `agents` overrides. */
export function toIdentity(
  config: Pick<IssuerConfig, 'name' | 'agents'>,
  claims: JWTPayload,
  mapped: MappedClaims,
): Identity {
  const agents = config.agents;
  const markedAgent =
    (agents?.subjects?.includes(mapped.subject) ?? false) ||
    mapped.groups.some((group) => agents?.groups?.includes(group) ?? false);
  const identity: Identity = {
    issuer: String(claims.iss),
    issuerName: config.name,
    subject: mapped.subject,
    groups: mapped.groups,
    agent: mapped.agent || markedAgent,
  };
  if (mapped.name !== undefined) identity.name = mapped.name;
  if (mapped.tenant !== undefined) identity.tenant = mapped.tenant;
  if (typeof claims.exp === 'number') identity.expiresAt = claims.exp;
  return identity;
}
