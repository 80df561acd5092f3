export { checkSecret, describeSecret, isSecretRef, resolveSecret, SecretError } from './secret.js';
