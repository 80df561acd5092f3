import type { Detector, Span } from '../types.js';
import { eachMatch } from './text-scan.js';

/**
 * Compact JWS (three segments, the signature empty for `alg: none`) or JWE (five segments).
 * Every JOSE header is a JSON object, so its base64url starts with `eyJ` (`{"`).
 */
const CANDIDATE =
  /(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)?/g;

function hasJoseHeader(segment: string): boolean {
  try {
    const header: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    return (
      typeof header === 'object' &&
      header !== null &&
      typeof (header as Record<string, unknown>)['alg'] === 'string'
    );
  } catch {
    return false;
  }
}

/** JSON Web Tokens: the header must decode to a JSON object carrying `alg`. */
export const jwtDetector: Detector = {
  name: 'jwt',
  hint: 'eyJ',
  find(text: string, out: Span[]): void {
    eachMatch(CANDIDATE, text, (m) => {
      const header = m[0].slice(0, m[0].indexOf('.'));
      if (hasJoseHeader(header)) out.push({ start: m.index, end: m.index + m[0].length });
    });
  },
};
