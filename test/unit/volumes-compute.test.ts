import { describe, expect, it } from 'vitest';
import { computeVolumes, nextPeriod, periodLabel, periodStart, type TotalizerSample, totalizerStep } from '../../protocols/dga/volumes.ts';
import { isAtalayaError } from '../../protocols/errors.ts';

const MINUTE = 60_000;
const DAY = 86_400_000;
/** uint32 × 0.1 m³ (protocols/profiles/flowmeter.ts registers 2–3): the register wraps at 2^32 counts. */
const WRAP = 429_496_729.6;
/** 2026-01-30T00:00 on DGA's UTC-4 clock. */
const JAN30 = Date.parse('2026-01-30T00:00:00-04:00');

/**
 * A flowmeter with a known flow profile, read every minute, its totalizer as the uint32 ×0.1
 * register gives it (whole counts of 0.1 m³, modulo 2^32).
 */
function flowmeter(from: number, minutes: number, startM3: number, flowLps: (t: number) => number): TotalizerSample[] {
  const out: TotalizerSample[] = [];
  let total = startM3;
  for (let i = 0; i <= minutes; i++) {
    const t = from + i * MINUTE;
    if (i > 0) total += (flowLps(t - MINUTE) * 60) / 1000;
    const counts = Math.round(total * 10) % 2 ** 32;
    out.push({ ts: t, value: counts / 10 });
  }
  return out;
}

describe('extracted volumes from the totalizer (issue 14 §3)', () => {
  it('periods are on the fixed UTC-4 clock', () => {
    expect(periodLabel(periodStart(Date.parse('2026-03-01T03:59:00Z'), 'day'), 'day')).toBe('2026-02-28');
    expect(periodStart(Date.parse('2026-03-01T04:00:00Z'), 'month')).toBe(Date.parse('2026-03-01T04:00:00Z'));
    expect(nextPeriod(Date.parse('2025-12-01T04:00:00Z'), 'month')).toBe(Date.parse('2026-01-01T04:00:00Z'));
    expect(periodLabel(Date.parse('2026-01-01T04:00:00Z'), 'year')).toBe('2026');
  });

  it('a constant 12.5 L/s over 3 days is 1,080 m³ a day exactly, across a 32-bit rollover', () => {
    // 729.6 m³ below the wrap: the register rolls over on the first morning.
    const samples = flowmeter(JAN30 - 5 * MINUTE, 3 * 1440 + 10, WRAP - 729.6, () => 12.5);
    expect(samples.some((s, i) => i > 0 && s.value < samples[i - 1]!.value)).toBe(true);
    const days = computeVolumes(samples, { granularity: 'day', from: JAN30, to: JAN30 + 3 * DAY, wrapAt: WRAP });
    expect(days.map((d) => [d.label, d.volumeM3])).toEqual([
      ['2026-01-30', 1080],
      ['2026-01-31', 1080],
      ['2026-02-01', 1080],
    ]);
    expect(days[0]!.flags).toEqual(['rollover']);
    expect(days[1]!.flags).toEqual([]);
    expect(days.reduce((sum, d) => sum + d.volumeM3!, 0)).toBe(3240);
  });

  it('a stepped profile gives each day and month its exact volume; partial months are flagged', () => {
    const flow = (t: number): number => (t < JAN30 + DAY ? 12.5 : t < JAN30 + 2 * DAY ? 30 : 5);
    const samples = flowmeter(JAN30, 3 * 1440, WRAP - 100, flow);
    const days = computeVolumes(samples, { granularity: 'day', from: JAN30, to: JAN30 + 3 * DAY, wrapAt: WRAP });
    expect(days.map((d) => d.volumeM3)).toEqual([1080, 2592, 432]);
    const months = computeVolumes(samples, { granularity: 'month', from: JAN30, to: JAN30 + 3 * DAY, wrapAt: WRAP });
    expect(months.map((m) => [m.label, m.volumeM3, m.flags])).toEqual([
      ['2026-01', 3672, ['rollover', 'incomplete']],
      ['2026-02', 432, ['incomplete']],
    ]);
    const year = computeVolumes(samples, { granularity: 'year', from: JAN30, to: JAN30 + DAY, wrapAt: WRAP });
    expect(year.map((y) => [y.label, y.volumeM3])).toEqual([['2026', 4104]]);
  });

  it('a drop that is not a rollover (meter replaced) is flagged and never counted negative', () => {
    const before = flowmeter(JAN30, 720, 5000, () => 12.5);
    const after = flowmeter(JAN30 + 721 * MINUTE, 719, 0, () => 12.5);
    const days = computeVolumes([...before, ...after], { granularity: 'day', from: JAN30, to: JAN30 + DAY, wrapAt: WRAP });
    // 540 m³ on the old meter, then the new one counts 539.25 m³ as 539.3 (0.1 m³ counts); the
    // minute of the replacement is unknown and counts 0, not −5540.
    expect(days[0]!.volumeM3).toBe(1079.3);
    expect(days[0]!.flags).toEqual(['reset']);
    // Without a wrap value every decrease is a reset.
    expect(totalizerStep(WRAP - 1, 2, undefined)).toEqual({ m3: 0, kind: 'reset' });
    expect(totalizerStep(WRAP - 1, 2, WRAP).kind).toBe('rollover');
    expect(totalizerStep(WRAP - 1, 2, WRAP).m3).toBeCloseTo(3, 6);
  });

  it('a boundary between readings is interpolated; a period without readings has no volume', () => {
    const samples = [
      { ts: JAN30 - 30 * MINUTE, value: 100 },
      { ts: JAN30 + 30 * MINUTE, value: 160 },
    ];
    const days = computeVolumes(samples, { granularity: 'day', from: JAN30 - DAY, to: JAN30 + 2 * DAY });
    expect(days.map((d) => [d.volumeM3, d.flags])).toEqual([
      [30, ['incomplete']],
      [30, ['incomplete']],
      [null, ['no-readings']],
    ]);
  });

  it('refuses an empty range with a coded error', () => {
    try {
      computeVolumes([], { granularity: 'day', from: JAN30, to: JAN30 });
      expect.unreachable();
    } catch (err) {
      expect(isAtalayaError(err, 'ATALAYA_DGA_ARGUMENT')).toBe(true);
    }
  });
});
