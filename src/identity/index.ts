export {
  type AuthenticatorOptions,
  createAuthenticator,
  MultiIssuerAuthenticator,
} from './authenticator.js';
export { entraIssuerAliases, entraTenantOf } from './claims/entra.js';
export { GITHUB_ACTIONS_ISSUER } from './claims/github-actions.js';
export {
  DEFAULT_DEV_KEY_FILE,
  DEV_AUDIENCE,
  DEV_ISSUER,
  DevIssuer,
  type DevIssuerOptions,
  type DevTokenOptions,
} from './dev-issuer.js';
export { ACCEPTED_ALGORITHMS } from './verify-jwt.js';
