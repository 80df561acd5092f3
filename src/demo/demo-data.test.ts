import { describe, expect, it } from 'vitest';
import { cardIssuerValid, ibanChecksumValid, luhnValid, ssnValid } from '../masking/checksums.js';
import { demoData } from './demo-data.js';
import { ibanCheckDigits, luhnCheckDigit } from './fake-values.js';

describe('fake values', () => {
  it('computes check digits that match published examples', () => {
    expect(luhnCheckDigit('411111111111111')).toBe(1); // 4111 1111 1111 1111
    expect(luhnCheckDigit('555555555555444')).toBe(4); // 5555 5555 5555 4444
    expect(ibanCheckDigits('GB', 'WEST12345698765432')).toBe('82');
    expect(ibanCheckDigits('DE', '370400440532013000')).toBe('89');
  });
});

describe('demoData', () => {
  const data = demoData();

  it('is the same on every call', () => {
    expect(demoData()).toEqual(data);
    expect(demoData(7)).not.toEqual(data);
  });

  it('has 50 customers with unique, reserved-domain emails and fictional phones', () => {
    expect(data.customers).toHaveLength(50);
    const emails = data.customers.map((c) => c.email);
    expect(new Set(emails).size).toBe(50);
    for (const c of data.customers) {
      expect(c.email).toMatch(/^[a-z]+\.[a-z]+@example\.(com|org|net)$/);
      expect(c.phone).toMatch(/^\+1 \d{3}-555-01\d{2}$/);
    }
  });

  it('has card numbers, IBANs and SSNs that pass the masking checksums', () => {
    for (const c of data.customers) {
      expect(luhnValid(c.card_number), c.card_number).toBe(true);
      expect(cardIssuerValid(c.card_number), c.card_number).toBe(true);
      expect(ibanChecksumValid(c.iban), c.iban).toBe(true);
      const [area, group, serial] = c.ssn.split('-');
      expect(ssnValid(area!, group!, serial!), c.ssn).toBe(true);
    }
  });

  it('links orders and notes to existing customers', () => {
    expect(data.orders.length).toBeGreaterThanOrEqual(100);
    for (const row of [...data.orders, ...data.notes]) {
      expect(row.customer_id).toBeGreaterThanOrEqual(1);
      expect(row.customer_id).toBeLessThanOrEqual(50);
    }
  });

  it('leaks personal data into some free-text notes, as real support notes do', () => {
    const text = data.notes.map((n) => n.note).join('\n');
    expect(text).toMatch(/@example\.(com|org|net)/);
    expect(data.notes.some((n) => data.customers.some((c) => n.note.includes(c.card_number)))).toBe(
      true,
    );
  });
});
