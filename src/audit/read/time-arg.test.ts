import { describe, expect, it } from 'vitest';
import { parseTimeArg } from './time-arg.js';

describe('parseTimeArg', () => {
  const now = Date.parse('2025-03-01T12:00:00Z');
  it('reads ISO 8601 dates and times', () => {
    expect(parseTimeArg('2025-01-31T08:00:00Z', now)).toBe(Date.parse('2025-01-31T08:00:00Z'));
    expect(parseTimeArg('2025-01-31', now)).toBe(Date.parse('2025-01-31T00:00:00Z'));
    expect(parseTimeArg('2025-01-31T08:00:00+02:00', now)).toBe(Date.parse('2025-01-31T06:00:00Z'));
  });

  it('reads a duration as that long ago', () => {
    expect(parseTimeArg('24h', now)).toBe(now - 86_400_000);
    expect(parseTimeArg(' 7d ', now)).toBe(now - 7 * 86_400_000);
  });

  it('refuses anything else with invalid_request naming the option', () => {
    for (const bad of ['yesterday', '1700000000000', '2025-13-45', '']) {
      expect(() => parseTimeArg(bad, now, '--since')).toThrow(
        expect.objectContaining({
          code: 'invalid_request',
          message: expect.stringContaining('--since'),
        }),
      );
    }
  });
});
