import { describe, expect, it } from 'vitest';
import { compileTimeWindow, type TimeWindowConfig } from './time-window.js';

// 2024-06-03 is a Monday.
const at = (iso: string) => Date.parse(iso);

const cases: [string, TimeWindowConfig, string, boolean][] = [
  ['no limits holds always', {}, '2024-06-09T23:59:00Z', true],
  ['from is inclusive', { from: '09:00', to: '17:00' }, '2024-06-03T09:00:00Z', true],
  ['to is exclusive', { from: '09:00', to: '17:00' }, '2024-06-03T17:00:00Z', false],
  ['before from', { from: '09:00', to: '17:00' }, '2024-06-03T08:59:00Z', false],
  ['only from: until midnight', { from: '22:00' }, '2024-06-03T23:59:00Z', true],
  ['only to: from midnight', { to: '06:00' }, '2024-06-03T05:59:00Z', true],
  ['to 24:00 means end of day', { from: '12:00', to: '24:00' }, '2024-06-03T23:59:00Z', true],
  ['weekday listed', { days: ['mon', 'tue'] }, '2024-06-04T12:00:00Z', true],
  ['weekday not listed', { days: ['mon', 'tue'] }, '2024-06-05T12:00:00Z', false],
  ['across midnight, late part', { from: '22:00', to: '06:00' }, '2024-06-03T23:00:00Z', true],
  ['across midnight, early part', { from: '22:00', to: '06:00' }, '2024-06-04T05:00:00Z', true],
  ['across midnight, outside', { from: '22:00', to: '06:00' }, '2024-06-04T12:00:00Z', false],
  [
    'friday night holds on saturday morning',
    { days: ['fri'], from: '22:00', to: '06:00' },
    '2024-06-08T03:00:00Z',
    true,
  ],
  [
    'friday night does not hold on friday morning',
    { days: ['fri'], from: '22:00', to: '06:00' },
    '2024-06-07T03:00:00Z',
    false,
  ],
  [
    'sunday night holds on monday morning',
    { days: ['sun'], from: '23:00', to: '01:00' },
    '2024-06-03T00:30:00Z',
    true,
  ],
  [
    'equal from and to is the whole day',
    { days: ['mon'], from: '08:00', to: '08:00' },
    '2024-06-03T03:00:00Z',
    true,
  ],
  // 2024-06-03T07:30Z is 09:30 in Berlin (CEST) and 03:30 in New York (EDT).
  [
    'time zone: Berlin office hours',
    { from: '09:00', to: '17:00', tz: 'Europe/Berlin' },
    '2024-06-03T07:30:00Z',
    true,
  ],
  [
    'time zone: New York office hours',
    { from: '09:00', to: '17:00', tz: 'America/New_York' },
    '2024-06-03T07:30:00Z',
    false,
  ],
  // Monday 23:30 UTC is already Tuesday in Tokyo.
  [
    'time zone moves the weekday',
    { days: ['tue'], tz: 'Asia/Tokyo' },
    '2024-06-03T23:30:00Z',
    true,
  ],
  // Winter: Berlin is UTC+1.
  [
    'daylight saving follows the zone',
    { from: '09:00', to: '10:00', tz: 'Europe/Berlin' },
    '2024-01-08T08:30:00Z',
    true,
  ],
];

describe('compileTimeWindow', () => {
  it.each(cases)('%s', (_name, window, instant, expected) => {
    expect(compileTimeWindow(window)(at(instant))).toBe(expected);
  });

  it.each([
    [{ from: '25:00' }, /time.from/],
    [{ from: '24:00' }, /time.from/],
    [{ to: '10:60' }, /time.to/],
    [{ to: '24:01' }, /time.to/],
    [{ tz: 'Not/AZone' }, /time.tz "Not\/AZone"/],
  ])('rejects %j', (window, message) => {
    expect(() => compileTimeWindow(window)).toThrow(message);
  });
});
