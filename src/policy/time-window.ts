/** A time window as written in a rule's `when.time`. */
export interface TimeWindowConfig {
  days?: ReadonlyArray<'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat' | 'sun'>;
  from?: string;
  to?: string;
  tz?: string;
}

const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
const DAY_INDEX: Record<string, number> = Object.fromEntries(DAYS.map((day, i) => [day, i]));
const MINUTES_PER_DAY = 24 * 60;
const formatters = new Map<string, Intl.DateTimeFormat>();

/**
 * Compiles a window into a test on epoch milliseconds. `from` is inclusive, `to` exclusive,
 * both `HH:MM` in `tz` (an IANA zone, default UTC; daylight saving follows the zone). A window
 * whose `to` is earlier than its `from` runs across midnight, and its early-morning part belongs
 * to the day it started on (`days: [fri], from: "22:00", to: "06:00"` holds on Saturday at
 * 03:00). `from` equal to `to` means the whole day. Throws TypeError on a bad time or zone.
 */
export function compileTimeWindow(window: TimeWindowConfig): (now: number) => boolean {
  const from = window.from === undefined ? 0 : minutesOf(window.from, 'from');
  const to = window.to === undefined ? MINUTES_PER_DAY : minutesOf(window.to, 'to');
  const days = window.days ? new Set(window.days.map((day) => DAY_INDEX[day]!)) : undefined;
  const onDay = (day: number) => days === undefined || days.has(day);
  const format = formatterFor(window.tz ?? 'UTC');
  return (now) => {
    const { day, minute } = localTime(format, now);
    if (from === to) return onDay(day);
    if (from < to) return minute >= from && minute < to && onDay(day);
    return (minute >= from && onDay(day)) || (minute < to && onDay((day + 6) % 7));
  };
}

function minutesOf(text: string, field: 'from' | 'to'): number {
  const match = /^(\d{2}):(\d{2})$/.exec(text);
  const hours = Number(match?.[1]);
  const minutes = Number(match?.[2]);
  const total = hours * 60 + minutes;
  const valid =
    match !== null && minutes < 60 && (hours < 24 || (field === 'to' && total === MINUTES_PER_DAY));
  if (!valid)
    throw new TypeError(`time.${field} "${text}" is not a time of day (HH:MM, 00:00–23:59)`);
  return total;
}

function formatterFor(tz: string): Intl.DateTimeFormat {
  let format = formatters.get(tz);
  if (format) return format;
  try {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      weekday: 'short',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
  } catch {
    throw new TypeError(`time.tz "${tz}" is not an IANA time zone`);
  }
  formatters.set(tz, format);
  return format;
}

const WEEKDAY: Record<string, number> = { Mon: 0, Tue: 1, Wed: 2, Thu: 3, Fri: 4, Sat: 5, Sun: 6 };

function localTime(format: Intl.DateTimeFormat, now: number): { day: number; minute: number } {
  let day = 0;
  let hour = 0;
  let minute = 0;
  for (const part of format.formatToParts(now)) {
    if (part.type === 'weekday') day = WEEKDAY[part.value] ?? 0;
    else if (part.type === 'hour') hour = Number(part.value);
    else if (part.type === 'minute') minute = Number(part.value);
  }
  return { day, minute: hour * 60 + minute };
}
