import { describe, expect, it } from 'vitest';
import {
  CHUNK_CHARS,
  chunkNames,
  chunkValue,
  joinChunks,
  MAX_CHUNKS,
  parseCookies,
  serializeCookie,
} from './cookies.js';

describe('cookies', () => {
  it('parses a Cookie header, skipping malformed pairs and keeping the first of duplicates', () => {
    const cookies = parseCookies('a=1; b="two"; =x; c; d=3=4; a=9; e=bad value; f=ok.-_~+/=');
    expect([...cookies]).toEqual([
      ['a', '1'],
      ['b', 'two'],
      ['d', '3=4'],
      ['f', 'ok.-_~+/='],
    ]);
    expect(parseCookies(undefined).size).toBe(0);
  });

  it('serializes with the attributes given and refuses characters that would split the header', () => {
    expect(
      serializeCookie('s', 'v', {
        path: '/',
        sameSite: 'Strict',
        httpOnly: true,
        secure: true,
        maxAge: 60.7,
      }),
    ).toBe('s=v; Path=/; SameSite=Strict; Max-Age=60; HttpOnly; Secure');
    expect(
      serializeCookie('s', '', { path: '/x', sameSite: 'Lax', httpOnly: false, secure: false }),
    ).toBe('s=; Path=/x; SameSite=Lax');
    expect(() =>
      serializeCookie('s', 'a;b', { path: '/', sameSite: 'Lax', httpOnly: true, secure: true }),
    ).toThrow(TypeError);
    expect(() =>
      serializeCookie('s p', 'v', { path: '/', sameSite: 'Lax', httpOnly: true, secure: true }),
    ).toThrow(TypeError);
  });

  it('splits long values over numbered cookies and joins them back', () => {
    const value = 'x'.repeat(CHUNK_CHARS * 2 + 5);
    const chunks = chunkValue('t', value)!;
    expect([...chunks.keys()]).toEqual(['t', 't.1', 't.2']);
    expect(joinChunks(chunks, 't')).toBe(value);
    expect(chunkValue('t', 'short')).toEqual(new Map([['t', 'short']]));
    expect(chunkValue('t', 'x'.repeat(CHUNK_CHARS * MAX_CHUNKS + 1))).toBeUndefined();
    expect(joinChunks(new Map([['t.1', 'orphan']]), 't')).toBeUndefined();
    expect(chunkNames('t')).toEqual(['t', 't.1', 't.2', 't.3']);
  });
});
