/** Who is on the other end of a connection, as established from a verified token. */
export interface Identity {
  /** Issuer URL exactly as in the token's `iss`. */
  issuer: string;
  /** Name of the configured issuer that verified the token. */
  issuerName: string;
  /** Stable subject (Entra: `oid`; generic: the mapped subject claim). */
  subject: string;
  /** Display name, if the token carries one. */
  name?: string;
  /** Groups and app roles, as mapped by the issuer kind. */
  groups: string[];
  /** True for agents: app-only tokens, service principals, CI jobs, `--agent` dev tokens. */
  agent: boolean;
  /** Entra tenant id, when known. */
  tenant?: string;
  /** Token expiry (epoch seconds); sessions are not cut at expiry, new connections are. */
  expiresAt?: number;
}

/** Verifies a bearer token and returns the identity it proves. Throws GatehouseError. */
export interface Authenticator {
  authenticate(token: string): Promise<Identity>;
}

export function describeIdentity(identity: Identity): string {
  const kind = identity.agent ? 'agent' : 'human';
  return `${identity.name ?? identity.subject} (${kind}, ${identity.issuerName})`;
}
