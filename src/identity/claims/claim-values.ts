import type { JWTPayload } from 'jose';
import { GatehouseError } from '../../core/errors.js';

/** What a claim mapper extracts from a verified token; the issuer adds the rest of the Identity. */
export interface MappedClaims {
  subject: string;
  name?: string;
  groups: string[];
  agent: boolean;
  tenant?: string;
}

/** Turns verified claims into an identity; async because Entra may consult Microsoft Graph. */
export type ClaimMapper = (claims: JWTPayload) => Promise<MappedClaims>;

/**
 * Reads a claim by its exact name first (URL-like names such as `https://example.com/groups`
 * contain dots), then as a dotted path into nested objects (`realm_access.roles`).
 */
export function readClaim(claims: JWTPayload, name: string): unknown {
  if (Object.hasOwn(claims, name)) return claims[name];
  let value: unknown = claims;
  for (const part of name.split('.')) {
    if (typeof value !== 'object' || value === null || !Object.hasOwn(value, part)) {
      return undefined;
    }
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

/** A string claim, or undefined when absent; any other type is refused. */
export function stringClaim(claims: JWTPayload, name: string): string | undefined {
  const value = readClaim(claims, name);
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw invalidClaim(name, 'a string');
  return value;
}

/** The subject: a non-empty string claim, required. */
export function subjectClaim(claims: JWTPayload, name: string): string {
  const subject = stringClaim(claims, name);
  if (!subject) throw new GatehouseError('token_invalid', `token has no "${name}" claim`);
  return subject;
}

/** A list of strings (a single string counts as one entry); absent means empty. */
export function stringListClaim(claims: JWTPayload, name: string): string[] {
  const value = readClaim(claims, name);
  if (value === undefined || value === null) return [];
  if (typeof value === 'string') return [value];
  if (Array.isArray(value) && value.every((entry) => typeof entry === 'string')) return value;
  throw invalidClaim(name, 'a list of strings');
}

/** Deduplicates while keeping the token's order. */
export function unique(values: Iterable<string>): string[] {
  return [...new Set(values)];
}

function invalidClaim(name: string, expected: string): GatehouseError {
  return new GatehouseError('token_invalid', `token claim "${name}" is not ${expected}`);
}
