/**
 * Issue 15 §6: what a person reads follows the Chilean convention in es-CL (decimal comma, dot
 * thousands, dd-mm-aaaa HH:mm, a space before the unit) and stays as it was in English; what a
 * machine reads is untouched (JSON and the relay's CSV keep a decimal point whatever the page's
 * language). The pages' format modules are plain browser ES modules with no DOM use: imported here
 * as they are served.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { volumesCsv } from '../../cloud/dga/csv.ts';

interface DashboardFormat {
  setFormatLocale(tag: string): void;
  fmtValue(v: number | null): string;
  fmtInt(n: number | null): string;
  fmtMeasure(v: number | null, unit: string | null): string;
  fmtNumber(n: number | null, maxFractionDigits?: number): string;
  fmtTime(ms: number | null, options?: { seconds?: boolean }): string;
  fmtSlot(iso: string | null): string;
  fmtPeriod(label: string): string;
  fmtOffset(ms: number | null): string;
  fmtUnits(value: string | null, decimals: number, unit: string): string;
  axisTimeLabels(splits: number[], spanSeconds: number): string[];
}

interface StatusFormat {
  setFormatLocale(tag: string): void;
  fmtValue(v: number | null): string;
  fmtMeasure(v: number | null, unit: string | null): string;
  fmtBytes(n: number | null): string;
  fmtDuration(ms: number | null): string;
  fmtCount(n: number | null): string;
  fmtPercent(n: number, digits?: number): string;
  fmtTime(ts: number | null, now?: number): string;
}

// Non-literal specifiers: the modules are JavaScript for browsers, typed by the interfaces above.
const load = async <T>(file: string): Promise<T> => (await import(new URL(file, import.meta.url).href)) as T;
const dashboard = await load<DashboardFormat>('../../cloud/dashboard/ui/format.js');
const status = await load<StatusFormat>('../../agent/status/ui/format.js');

/** 30 Jan 2026 09:05:07 local time (the browser's zone, here the test process's). */
const LOCAL = new Date(2026, 0, 30, 9, 5, 7).getTime();

describe('dashboard format.js in es-CL', () => {
  beforeEach(() => dashboard.setFormatLocale('es-CL'));

  it('writes a decimal comma and dot thousands, always grouped', () => {
    expect(dashboard.fmtValue(12.5)).toBe('12,5');
    expect(dashboard.fmtValue(1234.5)).toBe('1.234,5');
    expect(dashboard.fmtValue(1080)).toBe('1.080');
    expect(dashboard.fmtValue(-0.25)).toBe('-0,25');
    expect(dashboard.fmtInt(1_234_567)).toBe('1.234.567');
    expect(dashboard.fmtNumber(1.005, 1)).toBe('1');
    expect(dashboard.fmtValue(null)).toBe('—');
  });

  it('puts a space between a value and its unit', () => {
    expect(dashboard.fmtMeasure(12.5, 'L/s')).toBe('12,5 L/s');
    expect(dashboard.fmtMeasure(1234.5, 'm³')).toBe('1.234,5 m³');
    expect(dashboard.fmtMeasure(3, '')).toBe('3');
  });

  it('writes dates dd-mm-aaaa HH:mm(:ss), 24 h, local time', () => {
    expect(dashboard.fmtTime(LOCAL)).toBe('30-01-2026 09:05:07');
    expect(dashboard.fmtTime(LOCAL, { seconds: false })).toBe('30-01-2026 09:05');
    expect(dashboard.fmtTime(new Date(2026, 11, 7, 21, 56, 0).getTime())).toBe('07-12-2026 21:56:00');
    // A DGA slot is named on the fixed UTC−4 clock whatever the browser's zone.
    expect(dashboard.fmtSlot('2025-06-16T06:00:00-04:00')).toBe('16-06-2025 06:00');
    expect(dashboard.fmtPeriod('2026-01-30')).toBe('30-01-2026');
    expect(dashboard.fmtPeriod('2026-01')).toBe('01-2026');
    expect(dashboard.fmtPeriod('2026')).toBe('2026');
  });

  it('chart axes: the time of day within a day, dd-mm HH:mm across days', () => {
    const s = LOCAL / 1000;
    expect(dashboard.axisTimeLabels([s], 3600)).toEqual(['09:05']);
    expect(dashboard.axisTimeLabels([s], 300)).toEqual(['09:05:07']);
    expect(dashboard.axisTimeLabels([s], 3 * 86_400)).toEqual(['30-01 09:05']);
  });

  it('clock offsets and wei amounts with the decimal comma, exact', () => {
    expect(dashboard.fmtOffset(250)).toBe('+0,25 s');
    expect(dashboard.fmtOffset(-75_000)).toBe('−75 s');
    expect(dashboard.fmtUnits('1234500000000000000000', 18, 'ETH')).toBe('1.234,5 ETH');
    expect(dashboard.fmtUnits('1000000001', 9, 'gwei')).toBe('1,000000001 gwei');
  });
});

describe('dashboard format.js in English', () => {
  beforeEach(() => dashboard.setFormatLocale('en'));

  it('writes a decimal point, comma thousands and ISO-ordered dates', () => {
    expect(dashboard.fmtValue(1234.5)).toBe('1,234.5');
    expect(dashboard.fmtMeasure(12.5, 'L/s')).toBe('12.5 L/s');
    expect(dashboard.fmtTime(LOCAL)).toBe('2026-01-30 09:05:07');
    expect(dashboard.fmtSlot('2025-06-16T06:00:00-04:00')).toBe('2025-06-16 06:00');
    expect(dashboard.fmtPeriod('2026-01-30')).toBe('2026-01-30');
    expect(dashboard.fmtUnits('1234500000000000000000', 18, 'ETH')).toBe('1,234.5 ETH');
  });
});

describe('status page format.js', () => {
  it('es-CL: decimal comma, dot thousands, units after a space, dd-mm-aaaa for another day', () => {
    status.setFormatLocale('es-CL');
    expect(status.fmtValue(123.25)).toBe('123,25');
    expect(status.fmtValue(1000.3)).toBe('1.000,3');
    expect(status.fmtValue(35_250)).toBe('35.250');
    expect(status.fmtValue(1.5e-5)).toBe('1,500E-5');
    expect(status.fmtMeasure(12.5, 'L/s')).toBe('12,5 L/s');
    expect(status.fmtBytes(1536)).toBe('1,5 KB');
    expect(status.fmtDuration(850)).toBe('0,9 s');
    expect(status.fmtCount(12_345)).toBe('12.345');
    expect(status.fmtPercent(97.46, 1)).toBe('97,5 %');
    expect(status.fmtTime(LOCAL, LOCAL)).toBe('09:05:07');
    expect(status.fmtTime(LOCAL, LOCAL + 2 * 86_400_000)).toBe('30-01-2026 09:05:07');
  });

  it('en: as before, a decimal point', () => {
    status.setFormatLocale('en');
    expect(status.fmtValue(123.25)).toBe('123.25');
    expect(status.fmtBytes(1536)).toBe('1.5 KB');
    expect(status.fmtTime(LOCAL, LOCAL + 2 * 86_400_000)).toBe('2026-01-30 09:05:07');
  });
});

describe('what machines read is untouched', () => {
  it('JSON and the relay CSV keep a decimal point after the pages switch to es-CL', () => {
    dashboard.setFormatLocale('es-CL');
    status.setFormatLocale('es-CL');
    expect(JSON.stringify({ value: 1234.5 })).toBe('{"value":1234.5}');
    const csv = volumesCsv({
      obra: 'OB-0602-7',
      granularity: 'day',
      from: '2026-01-30T00:00:00-04:00',
      to: '2026-01-31T00:00:00-04:00',
      timeZone: 'UTC-04:00',
      unit: 'm3',
      waterRight: null,
      totalM3: 1080.25,
      periods: [
        {
          label: '2026-01-30',
          startIso: '2026-01-30T00:00:00-04:00',
          endIso: '2026-01-31T00:00:00-04:00',
          volumeM3: 1080.25,
          shareOfAnnualPct: 1.25,
          readings: 144,
          flags: [],
        },
      ],
    } as unknown as Parameters<typeof volumesCsv>[0]);
    expect(csv).toContain('1080.25');
    expect(csv).not.toContain('1080,25');
  });
});
