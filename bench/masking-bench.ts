/**
 * Cost of masking one result cell: the detectors' pre-check on clean values, the full scan on
 * values that hold something, and whole-cell column maskers.
 *
 *   node --experimental-transform-types --no-warnings \
 *     --import ./test/helpers/ts-register.mjs bench/masking-bench.ts
 *   # or, after `npm run build`: node dist/bench/masking-bench.js
 *
 * Prints ns per cell, the fastest of several short rounds (the least disturbed by other load on
 * the machine), cycling through each set's values. `npm run bench` adds the same table to its
 * report.
 */
import { pathToFileURL } from 'node:url';
import { compileMasking } from '../src/masking/index.js';

const ROUNDS = 15;

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const JWT = `${b64url({ alg: 'HS256', typ: 'JWT' })}.${b64url({ sub: '42' })}.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U`;

const SETS: Record<string, string[]> = {
  'clean: short text': ['alice', 'open', 'Berlin', 'true', 'pending review', 'Widget, large'],
  'clean: numbers': ['42', '1700000000000', '3.14159', '-17', '1234567', '99.95'],
  'clean: timestamps/uuids': [
    '2024-01-15 10:30:00+00',
    '2025-11-25 01:51:09.123456+01',
    '9b2d3f1e-7c4a-4e8b-a1d2-3c5e7f9a0b1c',
    'f47ac10b-58cc-4372-a567-0e02b2c3d479',
  ],
  'clean: 1 KB JSON': [
    JSON.stringify({
      id: 7,
      items: Array.from({ length: 20 }, (_, i) => ({ sku: `W-${i}`, qty: i, price: 9.5 + i })),
      note: 'deliver after 5pm',
    }).slice(0, 1024),
  ],
  'dirty: email': ['ann@corp.example', 'Bob.Smith+tag@mail.example.co.uk'],
  'dirty: card/ssn/phone': [
    '4111 1111 1111 1111',
    '123-45-6789',
    '+44 20 7946 0958',
    '(555) 123-4567',
  ],
  'dirty: jwt/aws key': [`Bearer ${JWT}`, 'AKIAIOSFODNN7EXAMPLE'],
  'dirty: row_to_json': [
    '{"id":7,"email":"ann@corp.example","card":"4111111111111111","iban":"DE89370400440532013000"}',
  ],
};

let sink = 0;

/** Fastest ns per call over ROUNDS rounds of `calls` calls. */
function measure(values: string[], calls: number, work: (value: string) => string | null): number {
  const perCall: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < calls; i++) sink += work(values[i % values.length]!)?.length ?? 0;
    perCall.push(Number(process.hrtime.bigint() - start) / calls);
  }
  return Math.min(...perCall);
}

/** The measurements as a plain-text table (one string per line). */
export function maskingCostTable(): string[] {
  const all = [
    'email',
    'payment_card',
    'iban',
    'us_ssn',
    'phone',
    'jwt',
    'cloud_keys',
    'private_key',
  ];
  const masking = compileMasking(
    [
      { detectors: all, strategy: 'redact' },
      { columns: ['users.email'], strategy: 'hash' },
      { columns: ['users.card'], strategy: 'keep_last_4' },
      { columns: ['users.ssn'], strategy: 'redact' },
    ],
    { hashKey: 'bench-hash-key-0123456789abcdef' },
  );
  const { plan } = masking.forIdentity([]);
  const withCustom = compileMasking([{ detectors: [...all, 'employee'], strategy: 'redact' }], {
    custom: { employee: 'EMP-\\d{6}' },
  }).forIdentity([]).plan;

  const rows: Array<[string, string, string]> = [];
  for (const [name, values] of Object.entries(SETS)) {
    const calls = name.includes('1 KB') || name.includes('json') ? 2_000 : 20_000;
    for (let i = 0; i < 20_000; i++) plan.maskText(values[i % values.length]!); // warm-up
    const builtIn = measure(values, calls, (v) => plan.maskText(v));
    const custom = measure(values, calls, (v) => withCustom.maskText(v));
    rows.push([name, builtIn.toFixed(0), custom.toFixed(0)]);
  }

  const cells = ['ann@corp.example', '4111111111111111', '123-45-6789'];
  const hash = plan.columnMasker('users', 'email')!;
  const keep = plan.columnMasker('users', 'card')!;
  const redact = plan.columnMasker('users', 'ssn')!;
  const columnRows: Array<[string, string]> = [
    ['column rule: hash', measure(cells, 20_000, hash).toFixed(0)],
    ['column rule: keep_last_4', measure(cells, 20_000, keep).toFixed(0)],
    ['column rule: redact', measure(cells, 20_000, redact).toFixed(0)],
    [
      'columnMasker lookup (memoised)',
      measure(['email', 'name'], 20_000, (c) => (plan.columnMasker('users', c) ? c : null)).toFixed(
        0,
      ),
    ],
  ];

  const width = Math.max(
    ...rows.map(([name]) => name.length),
    ...columnRows.map(([n]) => n.length),
  );
  const out = [`${'cells'.padEnd(width)}  built-in ns  +custom ns`];
  for (const [name, builtIn, custom] of rows) {
    out.push(`${name.padEnd(width)}  ${builtIn.padStart(11)}  ${custom.padStart(10)}`);
  }
  out.push('');
  for (const [name, ns] of columnRows) out.push(`${name.padEnd(width)}  ${ns.padStart(11)}`);
  if (sink === 42) out.push('');
  return out;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(maskingCostTable().join('\n'));
}
