import type { Detector, Span } from '../types.js';

const BEGIN = '-----BEGIN ';
const DASHES = '-----';
const MAX_LABEL = 64;

/**
 * PEM private key blocks (`-----BEGIN RSA PRIVATE KEY-----`, `OPENSSH`, `EC`, `ENCRYPTED`, PGP
 * `PRIVATE KEY BLOCK`, …), also with JSON-escaped `\n` line breaks. Certificates and public keys
 * are left alone. A block whose END line is missing (a truncated capture) is masked to the end
 * of the value.
 */
export const privateKeyDetector: Detector = {
  name: 'private_key',
  hint: '-----BEGIN',
  find(text: string, out: Span[]): void {
    let begin = text.indexOf(BEGIN);
    while (begin !== -1) {
      const labelStart = begin + BEGIN.length;
      const labelEnd = text.indexOf(DASHES, labelStart);
      const label = labelEnd === -1 ? '' : text.slice(labelStart, labelEnd);
      if (labelEnd === -1 || label.length > MAX_LABEL || !label.includes('PRIVATE KEY')) {
        begin = text.indexOf(BEGIN, labelStart);
        continue;
      }
      const endLine = `-----END ${label}-----`;
      const endAt = text.indexOf(endLine, labelEnd);
      const end = endAt === -1 ? text.length : endAt + endLine.length;
      out.push({ start: begin, end });
      begin = text.indexOf(BEGIN, end);
    }
  },
};
