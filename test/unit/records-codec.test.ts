import { describe, expect, it } from 'vitest';
import { STORE_INVALID_BATCH } from '../../cloud/store/errors.ts';
import { hashBytes, hashHex, KIND_CODES, kindCode, kindName, QUALITY_CODES, qualityCode, qualityName } from '../../cloud/store/records-codec.ts';
import { decodeRecord, type RecordRow, sortedBatch } from '../../cloud/store/rows.ts';
import type { IngestInput } from '../../cloud/store/types.ts';

const HASH = 'a1'.repeat(16) + '0f'.repeat(16);

describe('records codec (issue 18 §3)', () => {
  // Stored data: a database written by any version keeps these meanings, so the tables only grow.
  it('keeps the code tables as written', () => {
    expect(KIND_CODES).toEqual(['reading', 'alarm']);
    expect(QUALITY_CODES).toEqual(['good', 'comm_error', 'exception', 'out_of_range', 'sensor_fault']);
    expect([kindCode('reading'), kindCode('alarm'), kindCode('note')]).toEqual([0, 1, -1]);
    expect([qualityCode('good'), qualityCode('sensor_fault'), qualityCode('bad')]).toEqual([0, 4, -1]);
    expect([kindName(1), kindName('alarm'), qualityName(3), qualityName('good')]).toEqual(['alarm', 'alarm', 'out_of_range', 'good']);
  });

  it('stores a hash as its 32 bytes and reads it back as the same hex', () => {
    const bytes = hashBytes(HASH);
    expect(bytes.length).toBe(32);
    expect(hashHex(bytes)).toBe(HASH);
    expect(hashHex(new Uint8Array(bytes))).toBe(HASH);
    expect(hashHex(HASH)).toBe(HASH);
  });

  it('decodes a narrow row to the API record', () => {
    const row: RecordRow = {
      gateway: 'gw',
      seq: 7,
      kind: 1,
      device: 'd',
      channel: 'c',
      value: 1.5,
      unit: 'm',
      quality: 2,
      exception: 3,
      ts: 10,
      ts_corrected: null,
      mono: 4,
      boot_id: 'b',
      priority: 1,
      flags: 0,
      alarm: '{"rule":"high1","level":"warning","state":"raised","threshold":1}',
      received_at: 11,
      hash: hashBytes(HASH),
    };
    expect(decodeRecord(row)).toMatchObject({ kind: 'alarm', quality: 'exception', hash: HASH, alarm: { rule: 'high1' } });
  });

  it('refuses a batch whose hash or kind could not be stored narrow', () => {
    const record = {
      gateway: 'gw',
      seq: 1,
      kind: 'reading',
      device: 'd',
      channel: 'c',
      value: 1,
      unit: 'm',
      quality: 'good',
      exception: null,
      ts: 1,
      tsCorrected: null,
      mono: 1,
      bootId: 'b',
      priority: 0,
      flags: 0,
      hash: HASH,
    } as IngestInput['records'][number];
    const input = (r: object): IngestInput => ({ gateway: 'gw', records: [{ ...record, ...r } as typeof record], now: 1, clockOffsetMs: null });
    expect(sortedBatch(input({})).length).toBe(1);
    for (const bad of [
      { hash: HASH.toUpperCase() },
      { hash: HASH.slice(2) },
      { hash: `${HASH.slice(2)}zz` },
      { hash: `${HASH.slice(1)}:` },
      { hash: `${HASH.slice(1)}\`` },
      { hash: `${HASH.slice(1)}/` },
      { kind: 'note' },
      { quality: 'bad' },
    ]) {
      expect(() => sortedBatch(input(bad))).toThrow(expect.objectContaining({ code: STORE_INVALID_BATCH }));
    }
  });
});
