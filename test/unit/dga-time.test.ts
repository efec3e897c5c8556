import { describe, expect, it } from 'vitest';
import type { Standard } from '../../protocols/dga/index.ts';
import {
  ATALAYA_DGA_ARGUMENT,
  ATALAYA_DGA_TIME,
  fromDgaDateTime,
  isDgaError,
  nextSlot,
  normalizeDgaDate,
  slotStart,
  slotsBetween,
  soapTimeStamp,
  timeStampOrigen,
  toDgaDateTime,
} from '../../protocols/dga/index.ts';

const HOUR = 3_600_000;
const utc = (y: number, mo: number, d: number, h = 0, mi = 0, s = 0): number => Date.UTC(y, mo - 1, d, h, mi, s);

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return isDgaError(err) ? err.code : 'not a DgaError';
  }
  return undefined;
}

const santiago = new Intl.DateTimeFormat('en-GB', {
  timeZone: 'America/Santiago',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  hourCycle: 'h23',
});

describe('DGA clock: fixed UTC-4 (Res. 2.170/2025 §2)', () => {
  it('formats the manual example: 07-09-2023 10:00:00 UTC-4', () => {
    expect(toDgaDateTime(utc(2023, 9, 7, 14))).toEqual({ date: '2023-09-07', hour: '10:00:00', dateDMY: '07-09-2023' });
  });

  it('is UTC-4 in summer too, where America/Santiago is UTC-3', () => {
    const t = utc(2025, 1, 15, 12, 30, 45);
    expect(toDgaDateTime(t).hour).toBe('08:30:45');
    expect(santiago.format(t)).toContain('09');
  });

  it('rolls the date back before 04:00 UTC', () => {
    expect(toDgaDateTime(utc(2025, 3, 1, 3, 59, 59))).toEqual({ date: '2025-02-28', hour: '23:59:59', dateDMY: '28-02-2025' });
    expect(toDgaDateTime(utc(2025, 3, 1, 4))).toEqual({ date: '2025-03-01', hour: '00:00:00', dateDMY: '01-03-2025' });
  });

  it('drops milliseconds instead of rounding them into the next second', () => {
    expect(toDgaDateTime(utc(2025, 9, 7, 14) - 1).hour).toBe('09:59:59');
  });

  it('writes timeStampOrigen as the manual prints it (literal -0000) and an xsd:dateTime for SOAP', () => {
    const sent = utc(2025, 9, 7, 14, 5, 7);
    expect(timeStampOrigen(sent)).toBe('2025-09-07T10:05:07-0000');
    expect(soapTimeStamp(sent)).toBe('2025-09-07T10:05:07-04:00');
    expect(Date.parse(soapTimeStamp(sent))).toBe(sent);
  });

  it('refuses times that are not epochs it can write', () => {
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, -1, 253_402_300_800_000]) expect(codeOf(() => toDgaDateTime(bad))).toBe(ATALAYA_DGA_TIME);
  });

  it('reads DGA dates in both forms and inverts toDgaDateTime', () => {
    expect(normalizeDgaDate('07-09-2023')).toBe('2023-09-07');
    expect(normalizeDgaDate('2023-09-07')).toBe('2023-09-07');
    expect(normalizeDgaDate('31-02-2023')).toBeNull();
    expect(normalizeDgaDate('7-9-2023')).toBeNull();
    expect(fromDgaDateTime('07-09-2023', '10:00:00')).toBe(utc(2023, 9, 7, 14));
    expect(fromDgaDateTime('2023-09-07', '24:00:00')).toBeNull();
  });
});

describe('hourly slots across the America/Santiago offset changes', () => {
  // 2025-04-06 03:00Z Santiago goes from UTC-3 to UTC-4 (23:00 repeats); 2025-09-07 04:00Z back to UTC-3 (00:00 is skipped).
  for (const [name, from, to] of [
    ['April 5/6 2025', utc(2025, 4, 5), utc(2025, 4, 7)],
    ['September 6/7 2025', utc(2025, 9, 6), utc(2025, 9, 8)],
  ] as const) {
    it(`${name}: the UTC-4 hours are contiguous and unique, where Santiago repeats or skips one`, () => {
      const slots = slotsBetween(from, to, 'mayor');
      expect(slots).toHaveLength(49);
      const labels = slots.map((s) => {
        const t = toDgaDateTime(s);
        expect(t.hour.endsWith(':00:00')).toBe(true);
        expect(fromDgaDateTime(t.date, t.hour)).toBe(s);
        return `${t.date} ${t.hour}`;
      });
      expect(new Set(labels).size).toBe(49);
      for (let i = 1; i < slots.length; i++) expect((slots[i] as number) - (slots[i - 1] as number)).toBe(HOUR);
      // Santiago local hours: in April one repeats (48 distinct), in September 00:00 of the 7th never happens.
      const santiagoLabels = slots.map((s) => santiago.format(s));
      const santiagoHours = santiagoLabels.map((l) => Number(l.slice(-2)));
      const steps = santiagoHours.slice(1).map((h, i) => (h - (santiagoHours[i] as number) + 24) % 24);
      expect(steps.filter((d) => d !== 1)).toHaveLength(1);
    });
  }
});

describe('slots per standard', () => {
  const t = utc(2025, 3, 1, 3, 30); // 2025-02-28 23:30 UTC-4
  it('finds the UTC-4 hour, day, month and half-year containing a time', () => {
    expect(slotStart(t, 'mayor')).toBe(utc(2025, 3, 1, 3));
    expect(slotStart(t, 'medio')).toBe(utc(2025, 2, 28, 4));
    expect(slotStart(t, 'menor')).toBe(utc(2025, 2, 1, 4));
    expect(slotStart(t, 'muy-pequenos')).toBe(utc(2025, 1, 1, 4));
    expect(slotStart(utc(2025, 7, 1, 4), 'muy-pequenos')).toBe(utc(2025, 7, 1, 4));
  });

  it('steps to the next slot: a day closes at 00:00 UTC-4 of the next day, a month on the 1st of the next', () => {
    expect(nextSlot(t, 'medio')).toBe(utc(2025, 3, 1, 4));
    expect(nextSlot(t, 'menor')).toBe(utc(2025, 3, 1, 4));
    expect(nextSlot(utc(2025, 12, 31, 12), 'menor')).toBe(utc(2026, 1, 1, 4));
    expect(nextSlot(utc(2025, 8, 1), 'muy-pequenos')).toBe(utc(2026, 1, 1, 4));
    expect(toDgaDateTime(nextSlot(t, 'medio'))).toMatchObject({ date: '2025-03-01', hour: '00:00:00' });
  });

  it('lists the due slots, both ends included, oldest first, up to a limit', () => {
    const from = utc(2025, 1, 1, 4);
    const to = utc(2025, 4, 1, 4);
    expect(slotsBetween(from, to, 'menor').map((s) => toDgaDateTime(s).date)).toEqual(['2025-01-01', '2025-02-01', '2025-03-01', '2025-04-01']);
    expect(slotsBetween(from + 1, to - 1, 'menor').map((s) => toDgaDateTime(s).date)).toEqual(['2025-02-01', '2025-03-01']);
    expect(slotsBetween(from, to, 'medio')).toHaveLength(91);
    expect(slotsBetween(from, to, 'mayor', 3)).toEqual([from, from + HOUR, from + 2 * HOUR]);
    expect(slotsBetween(to, from, 'mayor')).toEqual([]);
    expect(slotsBetween(from, utc(2026, 1, 1, 4), 'muy-pequenos')).toEqual([from, utc(2025, 7, 1, 4), utc(2026, 1, 1, 4)]);
  });

  it('refuses an unknown standard', () => {
    expect(codeOf(() => slotStart(t, 'hourly' as Standard))).toBe(ATALAYA_DGA_ARGUMENT);
  });
});
