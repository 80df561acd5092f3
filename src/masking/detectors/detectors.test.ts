import { describe, expect, it } from 'vitest';
import { TextMasker } from '../text-masker.js';
import type { Detector, Span } from '../types.js';
import { BUILTIN_DETECTORS } from './index.js';

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const JWT = `${b64url({ alg: 'HS256', typ: 'JWT' })}.${b64url({ sub: '42', name: 'Ann' })}.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U`;
const JWT_NONE = `${b64url({ alg: 'none' })}.${b64url({ sub: '42' })}.`;
const JWE = `${b64url({ alg: 'RSA-OAEP', enc: 'A256GCM' })}.OKOawDo13gRp2ojaHV7LFpZcgV7T6DVZKTyKOMTYUmKoTCVJRgckCL9kiMT03JGe.48V1_ALb6US04U3b.5eym8TW_c8SuK0ltJ3rpYIzOeDQz7TALvtu6UG9oMo4vpzs9tX_EFShS8iB7j6ji.XFBoMYUZodetZdvTiFvSkQ`;
const GCP = `AIzaSyDaGmWKa4JsXZ-HjGw7ISLn_3namBGewQe`;
const AZURE_KEY =
  'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';
const PEM =
  '-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA0Z3VS5JJcds3xfn\n-----END RSA PRIVATE KEY-----';

/** Detector → [text, every substring it must find] (positives) and texts it must leave alone. */
const CORPUS: Record<string, { hits: Array<[string, string[]]>; misses: string[] }> = {
  email: {
    hits: [
      ['alice@example.com', ['alice@example.com']],
      ['mail Bob.Smith+tag@mail.example.co.uk.', ['Bob.Smith+tag@mail.example.co.uk']],
      ['Key (email)=(a@b.com) already exists.', ['a@b.com']],
      ['{"email":"x_y%z@sub-domain.io","n":1}', ['x_y%z@sub-domain.io']],
      ['a@b.com,c@d.org', ['a@b.com', 'c@d.org']],
      ["INSERT INTO t VALUES ('ann@corp.example')", ['ann@corp.example']],
    ],
    misses: ['user@localhost', '@handle', 'a@b.c0m', 'foo@.com', 'no at sign', 'x@-.com'],
  },
  payment_card: {
    hits: [
      ['4111111111111111', ['4111111111111111']],
      ['card 4111 1111 1111 1111 exp 2024', ['4111 1111 1111 1111']],
      ['4111-1111-1111-1111', ['4111-1111-1111-1111']],
      ['amex 3782 822463 10005.', ['3782 822463 10005']],
      ['{5555555555554444,6011111111111117}', ['5555555555554444', '6011111111111117']],
      ['order 12 4012 8888 8888 1881', ['4012 8888 8888 1881']],
      ['diners 30569309025904 jcb 3530111333300000', ['30569309025904', '3530111333300000']],
      ['2223000048400011', ['2223000048400011']],
    ],
    misses: [
      '4111111111111112', // Luhn fails
      '4111 1111 1111 1112',
      '1700000000000', // epoch millis: Luhn-valid by chance would still be no issuer
      '7992739871300000',
      '41111111111111110', // 17 digits: no Visa length
      'id a4111111111111111', // glued to a letter
      '123e4567-e89b-12d3-a456-426614174000',
      '4111111111111111111111', // 22 digits: a number, not a card
    ],
  },
  iban: {
    hits: [
      ['DE89370400440532013000', ['DE89370400440532013000']],
      ['IBAN: GB82 WEST 1234 5698 7654 32.', ['GB82 WEST 1234 5698 7654 32']],
      ['pay DE89 3704 0044 0532 0130 00 EUR now', ['DE89 3704 0044 0532 0130 00']],
      [
        'FR1420041010050500013M02606,NL91ABNA0417164300',
        ['FR1420041010050500013M02606', 'NL91ABNA0417164300'],
      ],
      [
        'DE89 3704 0044 0532 0130 00 GB82 WEST 1234 5698 7654 32',
        ['DE89 3704 0044 0532 0130 00', 'GB82 WEST 1234 5698 7654 32'],
      ],
    ],
    misses: [
      'DE89370400440532013001', // checksum
      'DE8937040044053201300', // checksum holds for no German length of 21
      'XDE89370400440532013000',
      'de89370400440532013000',
    ],
  },
  us_ssn: {
    hits: [
      ['ssn 123-45-6789', ['123-45-6789']],
      ['078 05 1120', ['078 05 1120']],
      ['{"id":1,"ssn":"123456789"}', ['123456789']],
      ['Social Security Number: 219099999', ['219099999']],
      ['{"user_ssn":123456789}', ['123456789']],
    ],
    misses: [
      '000-12-3456',
      '666-12-3456',
      '900-12-3456',
      '123-00-4567',
      '123-45-0000',
      '123-45 6789',
      '123456789',
      'a123-45-6789',
      '123-45-6789-1',
      'ssn 000123456',
    ],
  },
  phone: {
    hits: [
      ['+14155552671', ['+14155552671']],
      ['call +44 20 7946 0958 now', ['+44 20 7946 0958']],
      ['+1 (415) 555-2671', ['+1 (415) 555-2671']],
      ['(555) 123-4567', ['(555) 123-4567']],
      ['555.123.4567', ['555.123.4567']],
      ['1-800-555-0199', ['1-800-555-0199']],
      ['020 7946 0958', ['020 7946 0958']],
      ['01 23 45 67 89', ['01 23 45 67 89']],
      ['030-1234567', ['030-1234567']],
      ['tel:020 7946 0958', ['020 7946 0958']],
      ['0044 20 7946 0958', ['0044 20 7946 0958']],
      ['+33 1 23 45 67 89, 2024', ['+33 1 23 45 67 89']],
    ],
    misses: [
      '4155552671', // a plain integer
      '1234567890123',
      '2024-01-15 10:30:00+00',
      '2025-11-25 01:51:09.123456+01',
      'at 10:05 12 34 56 78', // the seconds of a time, not a trunk 0
      '05.12.2023 14:30',
      '01-15-2024',
      '+12345', // too short
      'v1.2.3',
      '000-12-3456',
      'total 12.50 + 3',
      '192.168.100.200',
    ],
  },
  jwt: {
    hits: [
      [JWT, [JWT]],
      [`Authorization: Bearer ${JWT}`, [JWT]],
      [`{"token":"${JWT_NONE}"}`, [JWT_NONE]],
      [`jwe ${JWE}.`, [JWE]],
    ],
    misses: [
      `${b64url({ typ: 'JWT' })}.${b64url({ sub: '1' })}.sig`, // header without alg
      'eyJub3Rqc29u.eyJzdWIiOiIxIn0.c2ln', // header is not JSON
      'eyJhbGciOiJIUzI1NiJ9', // one segment
      'dGhpcyBpcyBub3Q.YSBqd3Q.c2lnbmF0dXJl', // base64url segments, no JOSE header
      `x${JWT}`,
    ],
  },
  cloud_keys: {
    hits: [
      ['AKIAIOSFODNN7EXAMPLE', ['AKIAIOSFODNN7EXAMPLE']],
      ['key=ASIAY34FZKBOKMUTVV7A;', ['ASIAY34FZKBOKMUTVV7A']],
      [
        'aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
        ['wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'],
      ],
      [
        '{"SecretAccessKey": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}',
        ['wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'],
      ],
      [`maps?key=${GCP}&x=1`, [GCP]],
      [
        `DefaultEndpointsProtocol=https;AccountName=a;AccountKey=${AZURE_KEY};EndpointSuffix=core.windows.net`,
        [AZURE_KEY],
      ],
      [
        'Endpoint=sb://x.servicebus.windows.net/;SharedAccessKeyName=R;SharedAccessKey=2hQxWkz9m0Pq1vTt7Jk3yL5nB8cD4eF6gH0iJ2kL3mM=',
        ['2hQxWkz9m0Pq1vTt7Jk3yL5nB8cD4eF6gH0iJ2kL3mM='],
      ],
      [
        'https://a.blob.core.windows.net/c/b?sv=2022-11-02&sig=abcDEF123%2Bxyz%2F456ghiJKL789mnoPQ%3D&se=1',
        ['abcDEF123%2Bxyz%2F456ghiJKL789mnoPQ%3D'],
      ],
    ],
    misses: [
      'AKIAIOSFODNN7EXAMPL', // 19 characters
      'XAKIAIOSFODNN7EXAMPLE',
      'AIDAIOSFODNN7EXAMPLE', // a user id, not a key
      'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', // 40 base64 chars without a label
      'secret = short',
      `AIza${'x'.repeat(34)}`,
    ],
  },
  private_key: {
    hits: [
      [`key: ${PEM} done`, [PEM]],
      [
        '{"private_key":"-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBg\\n-----END PRIVATE KEY-----\\n"}',
        ['-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBg\\n-----END PRIVATE KEY-----'],
      ],
      [
        '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA',
        ['-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA'],
      ],
      [
        '-----BEGIN PGP PRIVATE KEY BLOCK-----\nx\n-----END PGP PRIVATE KEY BLOCK-----',
        ['-----BEGIN PGP PRIVATE KEY BLOCK-----\nx\n-----END PGP PRIVATE KEY BLOCK-----'],
      ],
    ],
    misses: [
      '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----',
      '-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----',
      'PRIVATE KEY',
    ],
  },
};

/** What the detector found, overlapping spans (from two of its patterns) merged. */
function found(detector: Detector, text: string): string[] {
  const spans: Span[] = [];
  detector.find(text, spans);
  spans.sort((a, b) => a.start - b.start || b.end - a.end);
  const merged: Span[] = [];
  for (const span of spans) {
    const last = merged.at(-1);
    if (last && span.start < last.end) last.end = Math.max(last.end, span.end);
    else merged.push({ ...span });
  }
  return merged.map((s) => text.slice(s.start, s.end));
}

describe.each(Object.entries(CORPUS))('%s detector', (name, { hits, misses }) => {
  const detector = BUILTIN_DETECTORS.get(name)!;
  const masker = new TextMasker([{ detector, strategy: { kind: 'redact' } }], undefined);

  it.each(hits)('finds %j', (text, expected) => {
    expect(found(detector, text)).toEqual(expected);
    // The combined pre-check must let every true positive through to the detector.
    expect(masker.mask(text)).not.toBe(text);
    for (const value of expected) expect(masker.mask(text)).not.toContain(value);
  });

  it.each(misses)('leaves %j alone', (text) => {
    expect(found(detector, text)).toEqual([]);
    expect(masker.mask(text)).toBe(text);
  });
});

describe('detectors on adversarial input', () => {
  it('stay fast on long runs that almost match', () => {
    const inputs = [
      `${'a'.repeat(200_000)}@`,
      `${'1 '.repeat(100_000)}`,
      `${'4 '.repeat(100_000)}`,
      `${'4111 '.repeat(50_000)}`,
      `${'a@b'.repeat(60_000)}.com`,
      `${'DE89 '.repeat(50_000)}`,
      `${'(555) '.repeat(40_000)}`,
      `${'0'.repeat(100_000)}`,
      `${'eyJ'.repeat(60_000)}.`,
      `${'-----BEGIN '.repeat(20_000)}`,
      `+${'1-'.repeat(100_000)}`,
      `${'AB12'.repeat(50_000)}`,
      `ssn${' '.repeat(100_000)}123456789`,
    ];
    const started = performance.now();
    for (const text of inputs) {
      for (const detector of BUILTIN_DETECTORS.values()) detector.find(text, []);
    }
    expect(performance.now() - started).toBeLessThan(2_000);
  });
});
