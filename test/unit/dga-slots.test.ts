import { describe, expect, it } from 'vitest';
import type { SlotReading } from '../../protocols/dga/index.ts';
import {
  ATALAYA_DGA_ARGUMENT,
  buildRestRequest,
  deriveFlow,
  deriveLevel,
  deriveMeasurement,
  deriveSlotMeasurement,
  deriveTotalizer,
  isDgaError,
  nextSlot,
  slotStart,
  toDgaDateTime,
  unwrapTotalizer,
} from '../../protocols/dga/index.ts';

const MIN = 60_000;
const SLOT = Date.UTC(2025, 8, 7, 14); // 2025-09-07 10:00:00 UTC-4
const WRAP = 2 ** 32;
const good = (offsetMin: number, value: number): SlotReading => ({ ts: SLOT + offsetMin * MIN, value, quality: 'good' });

describe('deriveMeasurement: the good reading closest to the slot within ±tolerance', () => {
  it('picks the closest reading', () => {
    expect(deriveMeasurement([good(-4, 1), good(2, 2), good(-1.5, 3)], SLOT)).toEqual({ value: 3, ts: SLOT - 1.5 * MIN });
  });

  it('prefers the reading at or before the slot on a tie', () => {
    expect(deriveMeasurement([good(1, 2), good(-1, 1)], SLOT)).toEqual({ value: 1, ts: SLOT - MIN });
    expect(deriveMeasurement([good(0, 5), good(0, 6)], SLOT)).toEqual({ value: 5, ts: SLOT });
  });

  it('honours the tolerance, 5 min by default, inclusive', () => {
    expect(deriveMeasurement([good(5, 1)], SLOT)).toEqual({ value: 1, ts: SLOT + 5 * MIN });
    expect(deriveMeasurement([good(5.01, 1), good(-6, 2)], SLOT)).toHaveProperty('missing');
    expect(deriveMeasurement([good(-6, 2)], SLOT, 10 * MIN)).toEqual({ value: 2, ts: SLOT - 6 * MIN });
    expect(deriveMeasurement([], SLOT)).toHaveProperty('missing');
  });

  it('uses good readings only, even when a bad one is closer', () => {
    const readings: SlotReading[] = [{ ts: SLOT, value: null, quality: 'comm_error' }, { ts: SLOT + MIN, value: 99, quality: 'out_of_range' }, good(-3, 7)];
    expect(deriveMeasurement(readings, SLOT)).toEqual({ value: 7, ts: SLOT - 3 * MIN });
    expect(deriveMeasurement(readings.slice(0, 2), SLOT)).toHaveProperty('missing');
    expect(deriveMeasurement([{ ts: SLOT, value: Number.NaN, quality: 'good' }], SLOT)).toHaveProperty('missing');
  });

  it('refuses a negative tolerance', () => {
    try {
      deriveMeasurement([], SLOT, -1);
      expect.unreachable();
    } catch (err) {
      expect(isDgaError(err, ATALAYA_DGA_ARGUMENT)).toBe(true);
    }
  });
});

describe('flow and level: never clamped, never invented', () => {
  it('makes a negative or implausible value missing', () => {
    expect(deriveFlow([good(0, -0.01)], SLOT)).toHaveProperty('missing');
    expect(deriveFlow([good(0, 120)], SLOT, { max: 100 })).toHaveProperty('missing');
    expect(deriveFlow([good(0, 12.5)], SLOT, { max: 100 })).toEqual({ value: 12.5, ts: SLOT });
    expect(deriveLevel([good(0, -2)], SLOT)).toHaveProperty('missing');
    expect(deriveLevel([good(0, 0)], SLOT)).toEqual({ value: 0, ts: SLOT });
  });

  it('takes a negative flow within the zero-drift deadband as 0, and only that (issue 14)', () => {
    expect(deriveFlow([good(0, -0.004)], SLOT, { deadband: 0.01 })).toEqual({ value: 0, ts: SLOT });
    expect(deriveFlow([good(0, -0.01)], SLOT, { deadband: 0.01 })).toEqual({ value: 0, ts: SLOT });
    expect(deriveFlow([good(0, -0.011)], SLOT, { deadband: 0.01 })).toEqual({ missing: 'negative flow (-0.011 l/s)' });
    expect(deriveFlow([good(0, 0.004)], SLOT, { deadband: 0.01 })).toEqual({ value: 0.004, ts: SLOT });
    expect(() => deriveFlow([good(0, 1)], SLOT, { deadband: -1 })).toThrow(expect.objectContaining({ code: ATALAYA_DGA_ARGUMENT }));
  });

  it('names only the field that failed: a bad flow leaves the totalizer out of the reason', () => {
    const result = deriveSlotMeasurement({ caudal: [good(0, -0.5)], totalizador: [good(0, 1000)] }, SLOT, { flowDeadband: 0.01 });
    expect(result).toEqual({ missing: { caudal: 'negative flow (-0.5 l/s)' } });
    expect(deriveSlotMeasurement({ caudal: [good(0, -0.004)], totalizador: [good(0, 1000)] }, SLOT, { flowDeadband: 0.01 })).toEqual({
      measurement: { at: SLOT, caudal: 0, totalizador: 1000 },
    });
  });
});

describe('totalizer rollover', () => {
  it('unwraps a 32-bit register', () => {
    expect(unwrapTotalizer(100, 150, WRAP)).toBe(150);
    expect(unwrapTotalizer(WRAP - 6, 5, WRAP)).toBe(WRAP + 5);
    expect(unwrapTotalizer(2 * WRAP + 10, 20, WRAP)).toBe(2 * WRAP + 20);
    expect(unwrapTotalizer(2 * WRAP + 10, 10, WRAP)).toBe(2 * WRAP + 10);
    expect(unwrapTotalizer(4_294_967.0, 0.5, 4_294_967.296)).toBeCloseTo(4_294_967.796, 6);
  });

  it('refuses a raw reading outside the register', () => {
    for (const [prev, cur, wrap] of [
      [0, WRAP, WRAP],
      [0, -1, WRAP],
      [-1, 0, WRAP],
      [0, 0, 0],
    ] as const) {
      expect(() => unwrapTotalizer(prev, cur, wrap)).toThrow(expect.objectContaining({ code: ATALAYA_DGA_ARGUMENT }));
    }
  });

  it('carries a total across a wrap and refuses a meter going backwards', () => {
    expect(deriveTotalizer([good(0, 5)], SLOT, { wrapAt: WRAP, previousTotal: WRAP - 6 })).toEqual({ value: WRAP + 5, ts: SLOT });
    expect(deriveTotalizer([good(0, 990)], SLOT, { wrapAt: WRAP, previousTotal: 1000 })).toHaveProperty('missing');
    expect(deriveTotalizer([good(0, WRAP)], SLOT, { wrapAt: WRAP })).toHaveProperty('missing');
    expect(deriveTotalizer([good(0, 1234)], SLOT, { wrapAt: WRAP })).toEqual({ value: 1234, ts: SLOT });
    expect(deriveTotalizer([good(0, 990)], SLOT, { previousTotal: 1000 })).toHaveProperty('missing');
    expect(deriveTotalizer([good(0, 1000)], SLOT, { previousTotal: 1000 })).toEqual({ value: 1000, ts: SLOT });
    expect(deriveTotalizer([good(0, -1)], SLOT)).toHaveProperty('missing');
  });
});

describe('a slot from the obra channels', () => {
  it('builds the well measurement DGA gets, ready for the REST codec', () => {
    const slot = deriveSlotMeasurement({ caudal: [good(-1, 15.305)], totalizador: [good(0, 6)], nivelFreatico: [good(2, 9.849)] }, SLOT, {
      totalizer: { wrapAt: WRAP, previousTotal: WRAP - 10 },
    });
    expect(slot).toEqual({ measurement: { at: SLOT, caudal: 15.305, totalizador: WRAP + 6, nivelFreatico: 9.849 } });
    if (!('measurement' in slot)) throw new Error('unreachable');
    const req = buildRestRequest({
      kind: 'subterranea',
      obra: 'OB-0602-7',
      credentials: { rutUsuario: '12.345.678-5', password: 'x', rutEmpresa: '77555666-8' },
      measurement: slot.measurement,
      sentAt: SLOT + 30 * MIN,
    });
    expect(req.body.medicionSubterranea).toEqual({
      caudal: '15.31',
      fechaMedicion: '2025-09-07',
      horaMedicion: '10:00:00',
      nivelFreaticoDelPozo: '9.85',
      totalizador: '4294967302',
    });
  });

  it('is missing as a whole, with a reason per channel, when a channel it has has no good reading', () => {
    const slot = deriveSlotMeasurement({ caudal: [good(0, -3)], totalizador: [good(0, 6)], nivelFreatico: [] }, SLOT);
    expect(slot).toHaveProperty('missing');
    if (!('missing' in slot)) throw new Error('unreachable');
    expect(Object.keys(slot.missing).sort()).toEqual(['caudal', 'nivelFreatico']);
  });

  it('leaves out a channel the obra does not have', () => {
    expect(deriveSlotMeasurement({ caudal: [good(0, 2)], alturaLimnimetrica: [good(0, 14)] }, SLOT)).toEqual({
      measurement: { at: SLOT, caudal: 2, alturaLimnimetrica: 14 },
    });
  });

  it('reads a daily (medio) slot at 00:00 UTC-4 of the next day', () => {
    const during = Date.UTC(2025, 8, 6, 20); // 2025-09-06 16:00 UTC-4
    const closing = nextSlot(slotStart(during, 'medio'), 'medio');
    expect(toDgaDateTime(closing)).toMatchObject({ date: '2025-09-07', hour: '00:00:00' });
    const readings: SlotReading[] = [{ ts: closing - 2 * MIN, value: 5000, quality: 'good' }];
    expect(deriveTotalizer(readings, closing)).toEqual({ value: 5000, ts: closing - 2 * MIN });
  });
});
