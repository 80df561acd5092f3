import { describe, expect, it } from 'vitest';
import { splitStartupParams } from './startup-params.js';

const split = (entries: Record<string, string>) =>
  splitStartupParams(new Map(Object.entries(entries)));

describe('splitStartupParams', () => {
  it('forwards rendering settings, keeps options apart and drops other parameters', () => {
    const result = split({
      user: 'a',
      database: 'd',
      application_name: 'psql',
      search_path: 'evil',
      options: '-c role=admin',
    });
    expect(result.forwarded).toEqual({ application_name: 'psql' });
    expect(result.dropped).toEqual(['search_path']);
    expect(result.options).toBe('-c role=admin');
  });

  it('refuses client encodings whose multibyte characters can hide quotes or backslashes', () => {
    expect(split({ client_encoding: 'UTF8' }).forwarded).toEqual({ client_encoding: 'UTF8' });
    expect(split({ client_encoding: 'LATIN1' }).forwarded).toEqual({ client_encoding: 'LATIN1' });
    for (const encoding of ['SJIS', 'Shift_JIS', 'BIG5', 'GBK', 'GB18030', 'UHC', 'JOHAB']) {
      const result = split({ client_encoding: encoding });
      expect(result.forwarded, encoding).toEqual({});
      expect(result.dropped[0], encoding).toContain('client_encoding');
    }
  });
});
