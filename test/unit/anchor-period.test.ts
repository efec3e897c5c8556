/**
 * dayRange: the [start, end) instants of a calendar day in an IANA zone, as `atalaya relay anchor
 * date` claims records by. Chile moves its clocks at 24:00 (tzdata: first Sunday of April 03:00
 * UTC back, first Sunday of September 04:00 UTC forward), so one day a year lasts 25 h and one
 * starts at 01:00.
 */
import { describe, expect, it } from 'vitest';
import { dayRange } from '../../cloud/anchor/period.ts';

const HOUR = 3_600_000;
const at = (iso: string): number => Date.parse(iso);

/** The local calendar date of `ms` in `zone`, as Intl reads it (the oracle, independent of period.ts). */
const formats = new Map<string, Intl.DateTimeFormat>();
function localDate(ms: number, zone: string): string {
  let f = formats.get(zone);
  if (f === undefined) formats.set(zone, (f = new Intl.DateTimeFormat('en-CA', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit' })));
  return f.format(new Date(ms));
}

function isoDay(utcMidnight: number): string {
  return new Date(utcMidnight).toISOString().slice(0, 10);
}

describe('dayRange', () => {
  it('an ordinary November day in America/Santiago is midnight to midnight at UTC−3', () => {
    expect(dayRange('2026-11-20', 'America/Santiago')).toEqual({ start: at('2026-11-20T00:00:00-03:00'), end: at('2026-11-21T00:00:00-03:00') });
  });

  it('the day Chile leaves summer time (2026-04-04) lasts 25 hours', () => {
    const r = dayRange('2026-04-04', 'America/Santiago')!;
    expect(r).toEqual({ start: at('2026-04-04T00:00:00-03:00'), end: at('2026-04-05T00:00:00-04:00') });
    expect(r.end - r.start).toBe(25 * HOUR);
    expect(dayRange('2026-04-05', 'America/Santiago')!.start).toBe(r.end);
  });

  it('the day Chile enters summer time (2026-09-06) starts at 01:00 and lasts 23 hours', () => {
    const r = dayRange('2026-09-06', 'America/Santiago')!;
    // 00:00 local does not exist that day: 24:00 of the 5th (UTC−4) is 01:00 of the 6th (UTC−3).
    expect(r).toEqual({ start: at('2026-09-06T01:00:00-03:00'), end: at('2026-09-07T00:00:00-03:00') });
    expect(r.end - r.start).toBe(23 * HOUR);
    expect(dayRange('2026-09-05', 'America/Santiago')).toEqual({ start: at('2026-09-05T00:00:00-04:00'), end: r.start });
  });

  it('UTC days are UTC midnights, across a month, a year and a leap day', () => {
    expect(dayRange('2026-11-20', 'UTC')).toEqual({ start: Date.UTC(2026, 10, 20), end: Date.UTC(2026, 10, 21) });
    expect(dayRange('2026-12-31', 'UTC')).toEqual({ start: Date.UTC(2026, 11, 31), end: Date.UTC(2027, 0, 1) });
    expect(dayRange('2028-02-29', 'UTC')).toEqual({ start: Date.UTC(2028, 1, 29), end: Date.UTC(2028, 2, 1) });
  });

  it('zones east of Greenwich start the day the evening before in UTC', () => {
    expect(dayRange('2026-11-20', 'Asia/Kolkata')).toEqual({ start: at('2026-11-20T00:00:00+05:30'), end: at('2026-11-21T00:00:00+05:30') });
    expect(dayRange('2027-01-01', 'Pacific/Kiritimati')).toEqual({ start: at('2027-01-01T00:00:00+14:00'), end: at('2027-01-02T00:00:00+14:00') });
  });

  it.each([
    ['2026-02-30'],
    ['2026-02-29'],
    ['2026-13-01'],
    ['2026-00-10'],
    ['2026-11-31'],
    ['2026-11-00'],
    ['2026-1-05'],
    ['26-11-20'],
    ['2026-11-20T00:00'],
    [' 2026-11-20'],
    ['2026/11/20'],
    ['tomorrow'],
    [''],
  ])('refuses %j', (date) => {
    expect(dayRange(date, 'America/Santiago')).toBeUndefined();
  });

  it.each(['America/Santiago', 'America/Havana', 'Australia/Lord_Howe', 'Asia/Kolkata', 'UTC'])(
    'every day of 2026 in %s: starts on the day, the ms before is the day before, days tile without gap or overlap',
    (zone) => {
      let previous: { start: number; end: number } | undefined;
      for (let t = Date.UTC(2026, 0, 1); t < Date.UTC(2027, 0, 1); t += 24 * HOUR) {
        const day = isoDay(t);
        const r = dayRange(day, zone);
        expect(r, day).toBeDefined();
        expect(localDate(r!.start, zone), day).toBe(day);
        expect(localDate(r!.start - 1, zone), day).toBe(isoDay(t - 24 * HOUR));
        expect(localDate(r!.end - 1, zone), day).toBe(day);
        expect(localDate(r!.end, zone), day).toBe(isoDay(t + 24 * HOUR));
        if (previous !== undefined) expect(r!.start, day).toBe(previous.end);
        previous = r;
      }
    },
  );
});
