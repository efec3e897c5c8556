import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { StoredRecord } from '../../protocols/records.ts';
import { decodeBatch, encodeBatch, estimateRecordBytes } from '../../protocols/sync/batch.ts';
import { ATALAYA_SYNC_MALFORMED, isSyncError } from '../../protocols/sync/errors.ts';
import type { SyncBatch } from '../../protocols/sync/types.ts';
import { realisticBatch } from '../bench/sync-wire.ts';

const base = {
  value: 1,
  unit: 'ppm',
  quality: 'good',
  exception: null,
  ts: 1_750_000_000_000,
  mono: 86_400_000,
  bootId: 'boot-a',
  priority: 0,
  flags: 0,
} as const;
const reading = (seq: number, more: Partial<StoredRecord> = {}): StoredRecord => ({ seq, kind: 'reading', device: 'gas-01', channel: 'co', ...base, ...more });
const alarm = (seq: number, more: Partial<StoredRecord> = {}): StoredRecord => ({
  seq,
  kind: 'alarm',
  device: 'gas-01',
  channel: 'ch4',
  ...base,
  priority: 2,
  alarm: { rule: 'high1', level: 'warning', state: 'raised', threshold: 10 },
  ...more,
});
/** An alarm record written before buffer schema 2: no detail, and no `alarm` key at all. */
function legacyAlarm(seq: number): StoredRecord {
  const { alarm: _detail, ...record } = alarm(seq);
  return record;
}
const batchOf = (records: StoredRecord[]): SyncBatch => ({
  gateway: 'gw-01',
  sentAt: 1_750_000_001_000,
  mono: 86_401_000,
  bootId: 'boot-b',
  clockSynced: false,
  records,
});

/** Alarms before older readings, nulls, exception codes, unicode names, -0, extremes, two boots. */
const mixed = batchOf([
  alarm(2 ** 53 - 4, { value: -0, alarm: { rule: 'high2', level: 'alarm', state: 'acknowledged', threshold: -0 } }),
  reading(1, { value: null, quality: 'comm_error' }),
  alarm(2 ** 53 - 3, { value: 1e-300, alarm: { rule: 'device', level: 'alarm', state: 'cleared', threshold: null } }),
  reading(2, { value: null, quality: 'exception', exception: 2 }),
  reading(3, { device: 'Pozo "Ñandú" 🌵', channel: 'Δp\n\u0001', unit: 'm³', value: -0 }),
  reading(4, { value: 5e-324, priority: 1, flags: 1, ts: 0, mono: 0 }),
  reading(5, { value: -1.7976931348623157e308, quality: 'out_of_range', ts: 2 ** 53 - 1, mono: 2 ** 53 - 1, bootId: 'boot-b' }),
  reading(6, { value: 0.1 + 0.2, quality: 'sensor_fault', exception: 255 }),
  legacyAlarm(2 ** 53 - 1),
  reading(2 ** 53 - 2, { value: 123456789.123, ts: 1_750_000_000_000 - 1000 }),
]);

/** Uniform random finite doubles from random bit patterns, seeded. */
function randomDoubles(count: number, seed: number): number[] {
  let s = seed;
  const next = (): number => (s = (Math.imul(s, 1_103_515_245) + 12_345) >>> 0);
  const view = new DataView(new ArrayBuffer(8));
  const out: number[] = [];
  while (out.length < count) {
    view.setUint32(0, next());
    view.setUint32(4, next());
    const d = view.getFloat64(0);
    if (Number.isFinite(d)) out.push(d);
  }
  return out;
}

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (err) {
    return isSyncError(err) ? err.code : 'not a SyncError';
  }
  return undefined;
}

describe('encodeBatch / decodeBatch round trip', () => {
  it('returns a mixed batch exactly, -0 included', () => {
    const back = decodeBatch(encodeBatch(mixed));
    expect(back).toStrictEqual(mixed);
    expect(Object.is(back.records[0]!.value, -0)).toBe(true);
    expect(Object.is(back.records[0]!.alarm!.threshold, -0)).toBe(true);
    expect(Object.is(back.records[4]!.value, -0)).toBe(true);
    expect(back.records[2]!.value).toBe(1e-300);
    expect(back.records[5]!.value).toBe(5e-324);
    expect('alarm' in back.records[8]!).toBe(false);
  });

  it('returns random doubles bit for bit', () => {
    const values = randomDoubles(500, 7);
    const batch = batchOf(values.map((value, i) => reading(i + 1, { value })));
    const back = decodeBatch(encodeBatch(batch));
    back.records.forEach((r, i) => {
      expect(Object.is(r.value, values[i])).toBe(true);
    });
  });

  it('round-trips an empty batch and realistic agent data', () => {
    expect(decodeBatch(encodeBatch(batchOf([])))).toStrictEqual(batchOf([]));
    const realistic = realisticBatch(2000);
    expect(decodeBatch(encodeBatch(realistic))).toStrictEqual(realistic);
  });

  it('writes the documented v1 layout, gzip-wrapped (the relay of another release must read it)', () => {
    const small = batchOf([
      alarm(11, { value: 10.4, ts: 1_750_000_000_500, mono: 86_400_500 }),
      reading(9, { channel: 'ch4', value: 10.4, unit: '%LEL', ts: 1_750_000_000_500, mono: 86_400_500 }),
      reading(10, { channel: 'o2', value: -0, unit: '%vol', ts: 1_750_000_000_500, mono: 86_400_500, quality: 'exception', exception: 2, flags: 1 }),
    ]);
    const body = encodeBatch(small);
    expect([...body.subarray(0, 3)]).toEqual([0x1f, 0x8b, 0x08]); // RFC 1952 §2.3.1: ID1 ID2 CM=deflate
    expect(zlib.gunzipSync(body).toString('utf8')).toBe(
      '{"v":1,"gateway":"gw-01","sentAt":1750000001000,"mono":86401000,"bootId":"boot-b","clockSynced":false,"n":3,' +
        '"tables":{"device":["gas-01"],"channel":["ch4","o2"],"unit":["ppm","%LEL","%vol"],"bootId":["boot-a"],"rule":["high1"]},' +
        '"cols":{"seq":[11,-2,1],"ts":[1750000000500,0,0],"mono":[86400500,0,0],"kind":[1,0,0],"device":[0,0,0],"channel":[0,0,1],' +
        '"unit":[0,1,2],"bootId":[0,0,0],"value":[10.4,10.4,"-0"],"quality":[0,0,2],"exception":[null,null,2],"priority":[2,0,0],"flags":[0,0,1]},' +
        '"alarms":[[0,0,0,0,10]]}',
    );
  });

  it('stays far under 16 bytes per reading on realistic data', () => {
    const batch = realisticBatch(1000);
    expect(encodeBatch(batch).length / batch.records.length).toBeLessThan(16);
  });
});

describe('encodeBatch', () => {
  it('refuses what decodeBatch would refuse, so the agent never sends a poison batch', () => {
    const bad: StoredRecord[][] = [
      [reading(1, { value: Number.NaN })],
      [reading(1, { value: Infinity })],
      [reading(2), reading(1)],
      [reading(1), alarm(1)],
      [reading(1, { alarm: { rule: 'high1', level: 'warning', state: 'raised', threshold: 1 } })],
      [reading(1.5)],
      [reading(1, { device: '' })],
      [reading(1, { exception: 256 })],
      [reading(1, { priority: 3 as 0 })],
    ];
    for (const records of bad) expect(codeOf(() => encodeBatch(batchOf(records)))).toBe(ATALAYA_SYNC_MALFORMED);
  });
});

describe('estimateRecordBytes', () => {
  it('does not under-estimate the inflated body of realistic data, and is within 6× of it', () => {
    const batch = realisticBatch(1000);
    const inflated = zlib.gunzipSync(encodeBatch(batch)).length;
    const estimate = batch.records.reduce((sum, r) => sum + estimateRecordBytes(r), 0);
    expect(estimate).toBeGreaterThanOrEqual(inflated);
    expect(estimate).toBeLessThan(6 * inflated);
  });

  it('counts an alarm detail', () => {
    expect(estimateRecordBytes(alarm(1))).toBeGreaterThan(estimateRecordBytes(reading(1)));
  });
});
