/**
 * The `paged` alarm record (protocols/records.ts, docs/formats.md#paged-alarm-records): accepted by the one
 * record check, carried on the wire with state code 3, hashed with its state as text, and ignored
 * by the buffer's alarm state.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { RecordBuffer } from '../../agent/buffer/buffer.ts';
import { type NewRecord, PRIORITY, type StoredRecord } from '../../protocols/records.ts';
import { newRecordProblem, storedRecordProblem } from '../../protocols/records-check.ts';
import { decodeBatch, encodeBatch } from '../../protocols/sync/batch.ts';
import { canonicalRecord } from '../../protocols/sync/canonical.ts';

const T0 = 1_750_000_000_000;
const BOOT = '5f1c2e0a-1b2c-4d5e-8f90-a1b2c3d4e5f6';
const raised: NewRecord = {
  kind: 'alarm',
  device: 'gas-1',
  channel: 'ch4',
  value: 25,
  unit: '%LEL',
  quality: 'good',
  exception: null,
  ts: T0,
  mono: 1000,
  bootId: BOOT,
  priority: PRIORITY.alarm,
  flags: 0,
  alarm: { rule: 'high2', level: 'alarm', state: 'raised', threshold: 20 },
};
const paged = (seqOfRaise: number): NewRecord => ({
  ...raised,
  value: seqOfRaise,
  unit: 'modem',
  ts: T0 + 120_000,
  mono: 121_000,
  alarm: { rule: 'high2', level: 'alarm', state: 'paged', threshold: null },
});

let dir: string | undefined;
afterEach(() => {
  if (dir !== undefined) fs.rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('the paged alarm record', () => {
  it('passes the record check, new and stored', () => {
    expect(newRecordProblem(paged(7))).toBeUndefined();
    expect(storedRecordProblem({ ...paged(7), seq: 9 })).toBeUndefined();
  });

  it('travels with state code 3 and decodes back', () => {
    const records: StoredRecord[] = [
      { ...raised, seq: 7 },
      { ...paged(7), seq: 9 },
    ];
    const body = encodeBatch({ gateway: 'gw-1', sentAt: T0 + 200_000, mono: 200_000, bootId: BOOT, clockSynced: true, records });
    const wire = JSON.parse(zlib.gunzipSync(body).toString('utf8')) as { alarms: number[][] };
    expect(wire.alarms.map((a) => a[3])).toEqual([0, 3]);
    expect(decodeBatch(body).records).toEqual(records);
  });

  it('is hashed with its state as text; a raised record encodes as before', () => {
    expect(canonicalRecord('gw-1', { ...paged(7), seq: 9 }).toString('utf8')).toContain('["high2","alarm","paged",null]');
    expect(canonicalRecord('gw-1', { ...raised, seq: 7 }).toString('utf8')).toContain('["high2","alarm","raised",20]');
  });

  it('leaves the alarm state of its rule as the transition set it', async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atalaya-paged-'));
    const buffer = new RecordBuffer({
      path: path.join(dir, 'b.db'),
      clock: { now: () => T0, monotonic: () => 1000 },
      logger: pino({ level: 'silent' }),
      commitIntervalMs: 0,
    });
    buffer.start();
    try {
      const [seq] = await buffer.append([raised]);
      await buffer.append([paged(seq!)]);
      expect(buffer.alarmStates()).toEqual([expect.objectContaining({ rule: 'high2', state: 'raised', seq, value: 25 })]);
      expect(buffer.readAfter(0, 10, 'alarm').map((r) => r.alarm?.state)).toEqual(['raised', 'paged']);
      // holds(): what the pager asks before paging; false once the relay's ack released the record.
      expect([buffer.holds(seq!), buffer.holds(seq! + 1), buffer.holds(seq! + 2)]).toEqual([true, true, false]);
      buffer.release([seq!]);
      expect(buffer.holds(seq!)).toBe(false);
    } finally {
      await buffer.stop();
    }
  });
});
