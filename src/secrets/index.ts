export {
  checkSecret,
  describeSecret,
  isSecretRef,
  resolveSecret,
  SecretError,
  type SecretRef,
} from './secret.js';
