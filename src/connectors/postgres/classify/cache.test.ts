import { describe, expect, it } from 'vitest';
import { LruCache } from './cache.js';

describe('LruCache', () => {
  it('keeps entries in use and evicts those unused for a generation', () => {
    const cache = new LruCache<number>(4, 1000); // generations of 2
    cache.set('a', 1);
    cache.set('b', 2);
    cache.set('c', 3); // a, b become old
    expect(cache.get('a')).toBe(1); // a moves back to the young generation
    cache.set('d', 4); // young full (c, a) → old; b is dropped
    expect(cache.get('b')).toBeUndefined();
    expect([cache.get('a'), cache.get('c'), cache.get('d')]).toEqual([1, 3, 4]);
  });

  it('never holds more than maxEntries', () => {
    const cache = new LruCache<number>(10, 10_000);
    for (let i = 0; i < 1000; i++) {
      cache.set(`k${i}`, i);
      expect(cache.size).toBeLessThanOrEqual(10);
    }
    expect(cache.get('k999')).toBe(999);
    expect(cache.get('k0')).toBeUndefined();
  });

  it('bounds the characters of keys and never stores an oversized key', () => {
    const cache = new LruCache<number>(1000, 20); // 10 characters per generation
    cache.set('aaaa', 1);
    cache.set('bbbb', 2);
    cache.set('cccc', 3); // would make 12 > 10: a new generation starts
    cache.set('dddd', 4);
    cache.set('eeee', 5); // aaaa and bbbb are dropped
    expect(cache.get('aaaa')).toBeUndefined();
    expect(cache.get('eeee')).toBe(5);
    cache.set('x'.repeat(11), 6);
    expect(cache.get('x'.repeat(11))).toBeUndefined();
  });

  it('replaces a value without duplicating the key', () => {
    const cache = new LruCache<number>(100, 1000);
    cache.set('k', 1);
    cache.set('k', 2);
    expect(cache.get('k')).toBe(2);
    expect(cache.size).toBe(1);
  });

  it('works with the smallest size and refuses nonsensical limits', () => {
    const tiny = new LruCache<number>(1, 100);
    tiny.set('a', 1);
    expect(tiny.get('a')).toBe(1);
    for (const key of ['b', 'c', 'd']) tiny.set(key, 0);
    expect(tiny.size).toBeLessThanOrEqual(2);
    expect(() => new LruCache(0, 10)).toThrow(TypeError);
    expect(() => new LruCache(Number.NaN, 10)).toThrow(TypeError);
  });
});
