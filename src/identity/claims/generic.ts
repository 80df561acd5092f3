import type { IssuerConfig } from '../../config/schema.js';
import {
  type ClaimMapper,
  type MappedClaims,
  stringClaim,
  stringListClaim,
  subjectClaim,
} from './claim-values.js';

/**
 * `kind: generic`: subject, name and groups from the claims named in `claims`
 * (defaults `sub`, `name`, `groups`). Tokens are people unless `agents` says otherwise.
 */
export function genericMapper(config: Pick<IssuerConfig, 'claims'>): ClaimMapper {
  const names = {
    subject: config.claims?.subject ?? 'sub',
    name: config.claims?.name ?? 'name',
    groups: config.claims?.groups ?? 'groups',
  };
  return async (claims) => {
    const mapped: MappedClaims = {
      subject: subjectClaim(claims, names.subject),
      groups: stringListClaim(claims, names.groups),
      agent: false,
    };
    const name = stringClaim(claims, names.name);
    if (name) mapped.name = name;
    return mapped;
  };
}
