import { describe, expect, it } from 'vitest';
import { cardIssuerValid, ibanChecksumValid, luhnValid, ssnValid } from './checksums.js';

describe('luhnValid', () => {
  it.each(['4111111111111111', '5555555555554444', '378282246310005', '79927398713'])(
    'accepts %s',
    (n) => {
      expect(luhnValid(n)).toBe(true);
    },
  );
  it.each(['4111111111111112', '79927398710', '', '41111x1111111111'])('rejects %j', (n) => {
    expect(luhnValid(n)).toBe(false);
  });
});

describe('cardIssuerValid', () => {
  it('knows issuer ranges and lengths', () => {
    expect(cardIssuerValid('4111111111111111')).toBe(true);
    expect(cardIssuerValid('378282246310005')).toBe(true);
    expect(cardIssuerValid('2223000048400011')).toBe(true);
    // Amex is 15 digits, never 16; numbers starting 1, 7, 9 are no card.
    expect(cardIssuerValid('3782822463100050')).toBe(false);
    expect(cardIssuerValid('1700000000000')).toBe(false);
    expect(cardIssuerValid('9111111111111111')).toBe(false);
  });
});

describe('ibanChecksumValid', () => {
  it.each(['DE89370400440532013000', 'GB82WEST12345698765432', 'NO9386011117947'])(
    'accepts %s',
    (iban) => {
      expect(ibanChecksumValid(iban)).toBe(true);
    },
  );
  it.each(['DE89370400440532013001', 'GB82WEST12345698765433', 'DE00', 'de89370400440532013000'])(
    'rejects %s',
    (iban) => {
      expect(ibanChecksumValid(iban)).toBe(false);
    },
  );
});

describe('ssnValid', () => {
  it('applies the SSA area, group and serial rules', () => {
    expect(ssnValid('123', '45', '6789')).toBe(true);
    expect(ssnValid('899', '01', '0001')).toBe(true);
    expect(ssnValid('000', '45', '6789')).toBe(false);
    expect(ssnValid('666', '45', '6789')).toBe(false);
    expect(ssnValid('900', '45', '6789')).toBe(false);
    expect(ssnValid('123', '00', '6789')).toBe(false);
    expect(ssnValid('123', '45', '0000')).toBe(false);
  });
});
