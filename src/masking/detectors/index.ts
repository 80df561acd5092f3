import type { Detector } from '../types.js';
import { cloudKeysDetector } from './cloud-keys.js';
import { emailDetector } from './email.js';
import { ibanDetector } from './iban.js';
import { jwtDetector } from './jwt.js';
import { paymentCardDetector } from './payment-card.js';
import { phoneDetector } from './phone.js';
import { privateKeyDetector } from './private-key.js';
import { usSsnDetector } from './us-ssn.js';

export { customDetector } from './custom.js';

/** The built-in detectors by the name rules use. */
export const BUILTIN_DETECTORS: ReadonlyMap<string, Detector> = new Map(
  [
    emailDetector,
    paymentCardDetector,
    ibanDetector,
    usSsnDetector,
    phoneDetector,
    jwtDetector,
    cloudKeysDetector,
    privateKeyDetector,
  ].map((detector) => [detector.name, detector]),
);
