import { GatehouseError } from '../../core/errors.js';
import type { ClaimMapper, MappedClaims } from './claim-values.js';
import { stringClaim, subjectClaim } from './claim-values.js';

/** GitHub's OIDC issuer for Actions (GHES and enterprise-scoped issuers are configured explicitly). */
export const GITHUB_ACTIONS_ISSUER = 'https://token.actions.githubusercontent.com';

/**
 * `kind: github-actions`: a workflow run is always an agent. The subject is GitHub's `sub`
 * (`repo:org/name:ref:refs/heads/main`, `repo:org/name:environment:prod`, …). Groups:
 * `repo:org/name`, `owner:org`, and `env:org/name:prod` when the job runs in an environment.
 * The environment group names its repository because any repository on GitHub can mint tokens
 * from this issuer, for any audience: policies must name owners or repositories.
 * https://docs.github.com/en/actions/security-for-github-actions/security-hardening-your-deployments/about-security-hardening-with-openid-connect
 */
export function githubActionsMapper(owners: ReadonlyArray<string>): ClaimMapper {
  const allowed = new Set(owners.map((owner) => owner.toLowerCase()));
  return async (claims) => {
    const repository = stringClaim(claims, 'repository');
    const owner = stringClaim(claims, 'repository_owner');
    // GitHub owner names are case-insensitive.
    if (!owner || !allowed.has(owner.toLowerCase())) {
      throw new GatehouseError(
        'token_invalid',
        `workflows of GitHub owner "${owner ?? '(none)'}" may not sign in here`,
        { hint: `allowed owners: ${owners.join(', ')}` },
      );
    }
    const environment = stringClaim(claims, 'environment');
    const workflow = stringClaim(claims, 'workflow');
    const groups: string[] = [];
    if (repository) groups.push(`repo:${repository}`);
    if (owner) groups.push(`owner:${owner}`);
    if (repository && environment) groups.push(`env:${repository}:${environment}`);
    const mapped: MappedClaims = { subject: subjectClaim(claims, 'sub'), groups, agent: true };
    if (repository) mapped.name = workflow ? `${repository} (${workflow})` : repository;
    return mapped;
  };
}
