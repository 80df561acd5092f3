import type { JWTPayload } from 'jose';
import { TENANT } from './local-issuer.js';

export const APP_ID = '11111111-2222-3333-4444-555555555555';
export const USER_OID = 'aaaaaaaa-0000-0000-0000-000000000001';
export const AGENT_OID = 'bbbbbbbb-0000-0000-0000-000000000002';
export const GROUP_DBA = 'cccccccc-0000-0000-0000-0000000000db';
export const GROUP_DEV = 'cccccccc-0000-0000-0000-0000000000de';

/** Times relative to a test clock, in seconds. */
export function lifetime(nowSeconds: number, ttl = 3600) {
  return { iat: nowSeconds, nbf: nowSeconds, exp: nowSeconds + ttl };
}

/** A v2.0 delegated (user) access token for our API, shaped like Entra's. */
export function v2UserClaims(issuer: string, now: number, extra: JWTPayload = {}): JWTPayload {
  return {
    aud: APP_ID,
    iss: issuer,
    ...lifetime(now),
    azp: '99999999-0000-0000-0000-000000000009',
    azpacr: '0',
    name: 'Ada Lovelace',
    oid: USER_OID,
    preferred_username: 'ada@contoso.example',
    scp: 'access_as_user',
    sub: 'pairwise-subject-for-ada',
    tid: TENANT,
    groups: [GROUP_DBA],
    ver: '2.0',
    ...extra,
  };
}

/** A v1.0 delegated access token (`iss: https://sts.windows.net/{tid}/`). */
export function v1UserClaims(now: number, extra: JWTPayload = {}): JWTPayload {
  return {
    aud: 'api://gatehouse',
    iss: `https://sts.windows.net/${TENANT}/`,
    ...lifetime(now),
    appid: '99999999-0000-0000-0000-000000000009',
    name: 'Grace Hopper',
    oid: 'dddddddd-0000-0000-0000-000000000003',
    scp: 'user_impersonation',
    sub: 'pairwise-subject-for-grace',
    tid: TENANT,
    unique_name: 'grace@contoso.example',
    upn: 'grace@contoso.example',
    groups: [GROUP_DEV],
    ver: '1.0',
    ...extra,
  };
}

/** A v2.0 app-only token (client credentials of a service principal with app roles). */
export function v2AppClaims(issuer: string, now: number, extra: JWTPayload = {}): JWTPayload {
  return {
    aud: APP_ID,
    iss: issuer,
    ...lifetime(now),
    azp: '77777777-0000-0000-0000-000000000007',
    idtyp: 'app',
    oid: AGENT_OID,
    roles: ['Agent.Query'],
    sub: AGENT_OID,
    tid: TENANT,
    ver: '2.0',
    ...extra,
  };
}
