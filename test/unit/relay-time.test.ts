import { describe, expect, it } from 'vitest';
import { clockOffset, correctedTime, seqRanges } from '../../cloud/ingest/time.ts';
import { RECORD_FLAGS, type StoredRecord } from '../../protocols/records.ts';

const record = (over: Partial<StoredRecord>): StoredRecord => ({
  seq: 1,
  kind: 'reading',
  device: 'd',
  channel: 'c',
  value: 1,
  unit: 'm',
  quality: 'good',
  exception: null,
  ts: 1000,
  mono: 50_000,
  bootId: 'boot-a',
  priority: 0,
  flags: 0,
  ...over,
});

describe('relay time correction', () => {
  const batch = { mono: 80_000, bootId: 'boot-a', sentAt: 2_000 };
  const relayNow = 1_740_000_000_000;

  it('puts an unsynced record of the batch boot at mono + (relayNow − batch.mono)', () => {
    // Taken 30 s before the batch was sent, so 30 s before relayNow.
    expect(correctedTime(record({ flags: RECORD_FLAGS.clockUnsynced }), batch, relayNow)).toBe(relayNow - 30_000);
  });

  it('leaves synced records and records of another boot uncorrected', () => {
    expect(correctedTime(record({ flags: 0 }), batch, relayNow)).toBeNull();
    expect(correctedTime(record({ flags: RECORD_FLAGS.clockUnsynced, bootId: 'boot-b' }), batch, relayNow)).toBeNull();
  });

  it('measures the clock offset as relay − gateway', () => {
    expect(clockOffset(batch, relayNow)).toBe(relayNow - 2_000);
  });

  it('acknowledges seqs as sorted inclusive ranges', () => {
    expect(seqRanges([])).toEqual([]);
    expect(seqRanges([7])).toEqual([[7, 7]]);
    expect(seqRanges([10, 3, 1, 2, 11, 5, 2])).toEqual([
      [1, 3],
      [5, 5],
      [10, 11],
    ]);
  });
});
