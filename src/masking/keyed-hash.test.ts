import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { KeyedHasher } from './keyed-hash.js';

const hmac = (key: Buffer, value: string) => createHmac('sha256', key).update(value).digest('hex');

describe('KeyedHasher', () => {
  it.each([
    ['a 16-byte key...', 'ann@corp.example'],
    ['k'.repeat(64), '4111 1111 1111 1111'],
    ['a key longer than one SHA-256 block '.repeat(3), 'ünïcödé ✓'],
  ])('computes HMAC-SHA256 (key %j)', (key, value) => {
    const hasher = new KeyedHasher(Buffer.from(key));
    expect(hasher.hash(value)).toBe(`h:${hmac(Buffer.from(key), value).slice(0, 16)}`);
    expect(hasher.hash(value)).toBe(hasher.hash(value));
  });

  it('differs across keys and values', () => {
    const a = new KeyedHasher(Buffer.from('0123456789abcdef'));
    const b = new KeyedHasher(Buffer.from('0123456789abcdeF'));
    expect(a.hash('x')).not.toBe(b.hash('x'));
    expect(a.hash('x')).not.toBe(a.hash('y'));
  });
});
