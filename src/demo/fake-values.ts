/**
 * Generators for realistic but fabricated personal data: every value passes the checks a
 * masking detector applies (Luhn, IBAN mod-97, SSN structure), and none belongs to anyone —
 * cards come from the issuers' published test ranges, mails from reserved example domains,
 * phones from the 555-01xx block kept for fiction.
 */

/** A small deterministic PRNG (mulberry32) so the demo data is the same on every machine. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type Random = () => number;

export function pick<T>(random: Random, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)]!;
}

function digits(random: Random, count: number): string {
  let out = '';
  for (let i = 0; i < count; i++) out += Math.floor(random() * 10);
  return out;
}

function between(random: Random, min: number, max: number): number {
  return min + Math.floor(random() * (max - min + 1));
}

/** The Luhn check digit that makes `payload` + digit a valid card number. */
export function luhnCheckDigit(payload: string): number {
  let sum = 0;
  for (let i = 0; i < payload.length; i++) {
    // Doubling starts from the digit next to the (future) check digit.
    let digit = Number(payload[payload.length - 1 - i]);
    if (i % 2 === 0) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return (10 - (sum % 10)) % 10;
}

/** Visa, Mastercard and Discover test prefixes published for payment sandboxes. */
const TEST_CARD_PREFIXES = ['411111', '424242', '400005', '555555', '510510', '601111'];

/** A 16-digit card number from a test range with a valid Luhn check digit. */
export function fakeCardNumber(random: Random): string {
  const payload = pick(random, TEST_CARD_PREFIXES) + digits(random, 9);
  return payload + luhnCheckDigit(payload);
}

/** ISO 13616 check digits for a country code and BBAN. */
export function ibanCheckDigits(country: string, bban: string): string {
  const rearranged = `${bban}${country}00`;
  let remainder = 0;
  for (const char of rearranged) {
    const value = /[A-Z]/.test(char) ? String(char.charCodeAt(0) - 55) : char;
    for (const digit of value) remainder = (remainder * 10 + Number(digit)) % 97;
  }
  return String(98 - remainder).padStart(2, '0');
}

const IBAN_SHAPES: ReadonlyArray<{ country: string; bban: (random: Random) => string }> = [
  { country: 'DE', bban: (random) => digits(random, 18) },
  { country: 'NL', bban: (random) => pick(random, ['ABNA', 'INGB', 'RABO']) + digits(random, 10) },
  {
    country: 'GB',
    bban: (random) => pick(random, ['NWBK', 'BARC', 'MIDL']) + digits(random, 14),
  },
];

/** An IBAN (DE, NL or GB shape) whose mod-97 checksum is valid; printed without spaces. */
export function fakeIban(random: Random): string {
  const { country, bban } = pick(random, IBAN_SHAPES);
  const body = bban(random);
  return `${country}${ibanCheckDigits(country, body)}${body}`;
}

/**
 * A US SSN that is structurally valid (area not 000, 666 or 9xx; group and serial not zero), so
 * detectors recognise it; randomly generated for fictional people.
 */
export function fakeSsn(random: Random): string {
  let area = between(random, 1, 899);
  if (area === 666) area = 667;
  const group = between(random, 1, 99);
  const serial = between(random, 1, 9999);
  return `${String(area).padStart(3, '0')}-${String(group).padStart(2, '0')}-${String(serial).padStart(4, '0')}`;
}

/** A North American number in the 555-0100…0199 block reserved for fiction. */
export function fakePhone(random: Random): string {
  const area = pick(random, ['202', '312', '415', '512', '617', '646', '718', '206']);
  return `+1 ${area}-555-01${digits(random, 2)}`;
}
