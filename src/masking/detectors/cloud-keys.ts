import type { Detector, Span } from '../types.js';
import { caseless, eachMatch } from './text-scan.js';

/** AWS access key ids: long-term (AKIA) and temporary STS (ASIA). */
const AWS_KEY_ID = /(?<![A-Za-z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Za-z0-9])/g;

/**
 * AWS secret access keys are 40 base64 characters with nothing to recognise them by, so they
 * count only after a label: `aws_secret_access_key = ...`, `"SecretAccessKey": "..."`.
 */
const AWS_SECRET =
  /(?:secret_?access_?key|aws_?secret(?:_?key)?)["']?\s{0,5}(?:=>|[:=])\s{0,5}["']?([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+])/gi;

/** Google Cloud API keys. */
const GCP_API_KEY = /(?<![A-Za-z0-9_-])AIza[0-9A-Za-z_-]{35}(?![A-Za-z0-9_-])/g;

/** Azure storage / Service Bus connection-string keys and SAS signatures. */
const AZURE_KEY = /(?:AccountKey|SharedAccessKey)=([A-Za-z0-9+/]{20,}={0,2})/gi;
const AZURE_SAS = /[?&;]sig=([A-Za-z0-9%+/=]{20,})/gi;

/** Pushes the span of the last capture group, which each pattern ends with. */
function pushTail(out: Span[]) {
  return (m: RegExpExecArray): void => {
    const end = m.index + m[0].length;
    const secret = m[1] ?? m[0];
    out.push({ start: end - secret.length, end });
  };
}

/** Cloud access keys: AWS key ids and labelled secrets, GCP API keys, Azure keys and SAS. */
export const cloudKeysDetector: Detector = {
  name: 'cloud_keys',
  hint: [
    'AKIA',
    'ASIA',
    'AIza',
    caseless('secret'),
    caseless('accountkey='),
    caseless('accesskey='),
    caseless('sig='),
  ].join('|'),
  find(text: string, out: Span[]): void {
    eachMatch(AWS_KEY_ID, text, pushTail(out));
    eachMatch(AWS_SECRET, text, pushTail(out));
    eachMatch(GCP_API_KEY, text, pushTail(out));
    eachMatch(AZURE_KEY, text, pushTail(out));
    eachMatch(AZURE_SAS, text, pushTail(out));
  },
};
