import { describe, expect, it } from 'vitest';
import type { HistoryPoint, ReviewRules, SlotEvidence } from '../../protocols/dga/index.ts';
import { DEFAULT_REVIEW_RULES, integrateFlow, median, reviewSlot } from '../../protocols/dga/index.ts';

const HOUR = 3_600_000;
const T0 = Date.UTC(2025, 8, 7, 4); // 2025-09-07 00:00 UTC-4
/** `n` earlier hourly slots at 10 l/s, 36 m³ a hour, ending an hour before `T0 + n h`. */
function steady(n: number, total0 = 1000): HistoryPoint[] {
  return Array.from({ length: n }, (_, i) => ({ slot: T0 + i * HOUR, caudal: 10, totalizador: total0 + 36 * i }));
}
const codes = (e: SlotEvidence, rules: ReviewRules = DEFAULT_REVIEW_RULES): string[] => reviewSlot(e, rules).map((f) => f.code);
const at = (n: number): number => T0 + n * HOUR;

describe('plausibility checks (issue 14 §2): one coded finding per doubt, with its numbers', () => {
  it('finds nothing in a steady, consistent hour', () => {
    expect(codes({ measurement: { at: at(6), caudal: 10, totalizador: 1216 }, history: steady(6), integratedFlowM3: 36 })).toEqual([]);
  });

  it('frozen_totalizer: unchanged for ≥ N hours while the flow is > 0, not before, not with the pump stopped', () => {
    const frozen = [...steady(3), ...[3, 4, 5].map((i) => ({ slot: at(i), caudal: 10, totalizador: 1108 }))];
    const f = reviewSlot({ measurement: { at: at(6), caudal: 10, totalizador: 1108 }, history: frozen }, DEFAULT_REVIEW_RULES).find(
      (x) => x.code === 'frozen_totalizer',
    );
    expect(f?.values).toEqual({ m3: 1108, hours: 3, flowLps: 10 });
    // 2 h frozen < 3 h.
    expect(codes({ measurement: { at: at(5), caudal: 10, totalizador: 1108 }, history: frozen.slice(0, 5) })).not.toContain('frozen_totalizer');
    // Flow 0: a stopped pump leaves the totalizer still, rightly.
    const stopped = frozen.map((h) => ({ ...h, caudal: 0 }));
    expect(codes({ measurement: { at: at(6), caudal: 0, totalizador: 1108 }, history: stopped })).not.toContain('frozen_totalizer');
  });

  it('totalizer_backwards: less than the last total sent', () => {
    const f = reviewSlot({ measurement: { at: at(6), caudal: 10, totalizador: 900 }, history: [], previousTotal: 1180 }, DEFAULT_REVIEW_RULES);
    expect(f.map((x) => [x.code, x.values])).toEqual([['totalizer_backwards', { previousM3: 1180, m3: 900 }]]);
    expect(codes({ measurement: { at: at(6), caudal: 10, totalizador: 1180 }, history: [], previousTotal: 1180 })).toEqual([]);
  });

  it('flow_jump and volume_jump: beyond jumpFactor × the median of the window, not from a stopped pump, not without history', () => {
    const spike = reviewSlot({ measurement: { at: at(6), caudal: 60, totalizador: 1180 + 216 }, history: steady(6) }, DEFAULT_REVIEW_RULES);
    expect(spike.map((x) => x.code)).toEqual(['flow_jump', 'volume_jump']);
    expect(spike[0]!.values).toEqual({ flowLps: 60, medianLps: 10, factor: 6 });
    expect(spike[1]!.values).toMatchObject({ m3PerHour: 216, medianM3PerHour: 36, factor: 6 });
    // 5× is not beyond 5×.
    expect(codes({ measurement: { at: at(6), caudal: 50, totalizador: 1180 + 180 }, history: steady(6) })).toEqual([]);
    const idle = steady(6).map((h, i) => ({ ...h, caudal: 0, totalizador: 1000 + 0 * i }));
    expect(codes({ measurement: { at: at(6), caudal: 60, totalizador: 1216 }, history: idle })).not.toContain('flow_jump');
    expect(codes({ measurement: { at: at(2), caudal: 60, totalizador: 1000 + 72 + 216 }, history: steady(2) })).toEqual([]);
    // Outside the median window the history does not count.
    expect(
      codes({ measurement: { at: at(40), caudal: 60, totalizador: 1180 + 216 }, history: steady(6) }, { ...DEFAULT_REVIEW_RULES, medianWindowHours: 24 }),
    ).toEqual([]);
  });

  it('over_water_right: above flowLps plus its tolerance', () => {
    const rules = { ...DEFAULT_REVIEW_RULES, waterRightLps: 10, waterRightTolerancePct: 10 };
    expect(codes({ measurement: { at: at(0), caudal: 11 }, history: [] }, rules)).toEqual([]);
    const f = reviewSlot({ measurement: { at: at(0), caudal: 11.5 }, history: [] }, rules);
    expect(f.map((x) => [x.code, x.values])).toEqual([['over_water_right', { flowLps: 11.5, rightLps: 10, limitLps: 11 }]]);
  });

  it('level_out_of_range: deeper than the well', () => {
    const rules = { ...DEFAULT_REVIEW_RULES, wellDepthM: 80 };
    expect(codes({ measurement: { at: at(0), nivelFreatico: 80 }, history: [] }, rules)).toEqual([]);
    expect(codes({ measurement: { at: at(0), nivelFreatico: 81 }, history: [] }, rules)).toEqual(['level_out_of_range']);
  });

  it('clock_unsynced, sensor_fault, out_of_range: readings so marked near the slot', () => {
    const f = reviewSlot(
      { measurement: { at: at(0), caudal: 10 }, history: [], marks: { clockUnsynced: 2, sensorFault: 1, outOfRange: 3 } },
      DEFAULT_REVIEW_RULES,
    );
    expect(f.map((x) => [x.code, x.values['readings']])).toEqual([
      ['clock_unsynced', 2],
      ['sensor_fault', 1],
      ['out_of_range', 3],
    ]);
  });

  it('volume_flow_mismatch: the totalizer volume against the integrated flow, within the tolerance and the floor', () => {
    const base = { measurement: { at: at(6), caudal: 10, totalizador: 1180 + 36 }, history: steady(6) };
    expect(codes({ ...base, integratedFlowM3: 36 * 1.19 })).toEqual([]);
    const f = reviewSlot({ ...base, integratedFlowM3: 36 * 1.5 }, DEFAULT_REVIEW_RULES);
    expect(f.map((x) => [x.code, x.values])).toEqual([['volume_flow_mismatch', { totalizerM3: 36, integratedM3: 54 }]]);
    // Under volumeFlowMinM3 (1 m³) it is the meter's resolution, whatever the share.
    expect(codes({ measurement: { at: at(6), caudal: 0.1, totalizador: 1180.3 }, history: steady(6), integratedFlowM3: 0.9 })).toEqual([]);
  });

  it('integrateFlow: trapezoids over covering readings, nothing across a gap or without both ends', () => {
    const minute = 60_000;
    const flat = Array.from({ length: 61 }, (_, i) => ({ ts: T0 + i * minute, value: 10 }));
    expect(integrateFlow(flat, T0, T0 + HOUR, 5 * minute, 15 * minute)).toBeCloseTo(36, 9);
    const ramp = Array.from({ length: 61 }, (_, i) => ({ ts: T0 + i * minute, value: i }));
    expect(integrateFlow(ramp, T0, T0 + HOUR, 5 * minute, 15 * minute)).toBeCloseTo((30 * 3600) / 1000, 9);
    expect(
      integrateFlow(
        flat.filter((r) => r.ts < T0 + 10 * minute || r.ts > T0 + 40 * minute),
        T0,
        T0 + HOUR,
        5 * minute,
        15 * minute,
      ),
    ).toBeUndefined();
    expect(integrateFlow(flat.slice(0, 30), T0, T0 + HOUR, 5 * minute, 15 * minute)).toBeUndefined();
  });

  it('median', () => {
    expect(median([])).toBeUndefined();
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
  });
});
