import { describe, expect, it } from 'vitest';
import { LruCache } from './postgres-classifier-cache.js';

describe('LruCache', () => {
  it('evicts the least recently used entry past the entry limit', () => {
    const cache = new LruCache<number>(2, 1000);
    cache.set('a', 1);
    cache.set('b', 2);
    expect(cache.get('a')).toBe(1); // a is now the most recent
    cache.set('c', 3);
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toBe(1);
    expect(cache.get('c')).toBe(3);
    expect(cache.size).toBe(2);
  });

  it('evicts past the character budget and never stores an oversized key', () => {
    const cache = new LruCache<number>(100, 10);
    cache.set('aaaa', 1);
    cache.set('bbbb', 2);
    cache.set('cccc', 3); // 12 chars > 10: aaaa goes
    expect(cache.get('aaaa')).toBeUndefined();
    expect(cache.size).toBe(2);
    cache.set('x'.repeat(11), 4);
    expect(cache.get('x'.repeat(11))).toBeUndefined();
    expect(cache.size).toBe(2);
  });

  it('replacing a key does not count it twice', () => {
    const cache = new LruCache<number>(100, 8);
    cache.set('abcd', 1);
    cache.set('abcd', 2);
    cache.set('efgh', 3);
    expect(cache.get('abcd')).toBe(2);
    expect(cache.size).toBe(2);
  });

  it('refuses nonsensical limits', () => {
    expect(() => new LruCache(0, 10)).toThrow(TypeError);
  });
});
