import { describe, expect, it } from 'vitest';
import { parseStoreUrl, redactStoreUrl } from './store-url.js';

describe('parseStoreUrl', () => {
  it('picks the dialect from the scheme', () => {
    expect(parseStoreUrl('sqlite:./data/g.db')).toEqual({ dialect: 'sqlite', path: './data/g.db' });
    expect(parseStoreUrl('sqlite::memory:')).toEqual({ dialect: 'sqlite', path: ':memory:' });
    expect(parseStoreUrl('postgres://u@h/db')).toEqual({
      dialect: 'postgres',
      url: 'postgres://u@h/db',
    });
    expect(parseStoreUrl('postgresql://u@h/db').dialect).toBe('postgres');
  });

  it('refuses anything else without echoing a password', () => {
    expect(() => parseStoreUrl('sqlite:')).toThrow(TypeError);
    expect(() => parseStoreUrl('mysql://root:pw@h/db')).toThrow(
      'unsupported store url mysql://root:***@h/db',
    );
  });
});

describe('redactStoreUrl', () => {
  it('hides passwords in the userinfo and the query', () => {
    expect(redactStoreUrl('postgres://gate:s3cret@db:5432/g')).toBe(
      'postgres://gate:***@db:5432/g',
    );
    expect(redactStoreUrl('postgres://db/g?user=x&password=s3cret&ssl=1')).toBe(
      'postgres://db/g?user=x&password=***&ssl=1',
    );
    expect(redactStoreUrl('postgres://gate@db/g')).toBe('postgres://gate@db/g');
    expect(redactStoreUrl('sqlite:/var/lib/g.db')).toBe('sqlite:/var/lib/g.db');
  });
});
