/** Luhn (mod 10) check over a string of ASCII digits. */
export function luhnValid(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return false;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return digits.length > 0 && sum % 10 === 0;
}

/**
 * Issuer ranges (IIN prefixes) and lengths of the major card networks. Requiring a known issuer
 * keeps Luhn's 1-in-10 false positives off ordinary long integers (epoch millis, bigint ids,
 * which mostly start with 1).
 */
const CARD_RANGES: ReadonlyArray<readonly [low: string, high: string, min: number, max: number]> = [
  ['4', '4', 13, 19], // Visa (13, 16, 19) and Visa Electron
  ['51', '55', 16, 16], // Mastercard
  ['2221', '2720', 16, 16], // Mastercard 2-series
  ['2200', '2204', 16, 19], // Mir
  ['34', '34', 15, 15], // American Express
  ['37', '37', 15, 15],
  ['300', '305', 14, 19], // Diners Club
  ['36', '36', 14, 19],
  ['38', '39', 14, 19],
  ['3528', '3589', 16, 19], // JCB
  ['50', '50', 12, 19], // Maestro
  ['56', '69', 12, 19], // Maestro, Discover (6011, 644-649, 65), UnionPay (62), RuPay (60)
  ['81', '82', 16, 19], // UnionPay, RuPay
];

/** True when `digits` has the length of a card issued in its prefix range. */
export function cardIssuerValid(digits: string): boolean {
  for (const [low, high, min, max] of CARD_RANGES) {
    if (digits.length < min || digits.length > max) continue;
    const prefix = digits.slice(0, low.length);
    if (prefix >= low && prefix <= high) return true;
  }
  return false;
}

/**
 * ISO 13616 check: move the first four characters to the end, letters become 10..35, and the
 * resulting number mod 97 must be 1. Input is the electronic form (no spaces, upper case).
 */
export function ibanChecksumValid(iban: string): boolean {
  if (iban.length < 5) return false;
  const rearranged = iban.slice(4) + iban.slice(0, 4);
  let remainder = 0;
  for (let i = 0; i < rearranged.length; i++) {
    const code = rearranged.charCodeAt(i);
    if (code >= 48 && code <= 57) {
      remainder = (remainder * 10 + (code - 48)) % 97;
    } else if (code >= 65 && code <= 90) {
      remainder = (remainder * 100 + (code - 55)) % 97;
    } else {
      return false;
    }
  }
  return remainder === 1;
}

/**
 * SSA rules for a US Social Security number: area 001-899 except 666, group 01-99,
 * serial 0001-9999.
 */
export function ssnValid(area: string, group: string, serial: string): boolean {
  const a = Number(area);
  return a !== 0 && a !== 666 && a < 900 && Number(group) !== 0 && Number(serial) !== 0;
}
