import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Sqlite from 'better-sqlite3';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RecordBuffer } from '../../agent/buffer/buffer.ts';
import type { Clock } from '../../protocols/clock.ts';
import type { NewRecord } from '../../protocols/records.ts';
import { PRIORITY } from '../../protocols/records.ts';

/** Issue 19 item 4: an MQTT device's last seq is committed with the records it came with. */
const logger = pino({ level: 'silent' });
const clock: Clock = { now: () => 1_750_000_000_000, monotonic: () => 1000 };
const reading = (value: number): NewRecord => ({
  kind: 'reading',
  device: 'det-1',
  channel: 'ch4',
  value,
  unit: '%LEL',
  quality: 'good',
  exception: null,
  ts: 1_750_000_000_000,
  mono: 1,
  bootId: 'boot',
  priority: PRIORITY.ordinary,
  flags: 0,
});

let dir: string;
let file: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atalaya-devseq-'));
  file = path.join(dir, 'buffer.db');
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const open = (): RecordBuffer => {
  const b = new RecordBuffer({ path: file, commitIntervalMs: 50, clock, logger });
  b.start();
  return b;
};

describe('buffer device seq', () => {
  it('keeps the last seq per stream of one group commit and across a reopen', async () => {
    const buffer = open();
    expect(buffer.deviceSeq('det-1/telemetry')).toBeUndefined();
    // Three appends in one window: one transaction, the last mark of a stream wins.
    await Promise.all([
      buffer.append([reading(1)], { stream: 'det-1/telemetry', seq: 7 }),
      buffer.append([reading(2)], { stream: 'det-1/alarm', seq: 3 }),
      buffer.append([reading(3)], { stream: 'det-1/telemetry', seq: 8 }),
      buffer.append([reading(4)]),
    ]);
    expect(buffer.deviceSeq('det-1/telemetry')).toBe(8);
    await buffer.stop();
    const again = open();
    try {
      expect(again.deviceSeq('det-1/telemetry')).toBe(8);
      expect(again.deviceSeq('det-1/alarm')).toBe(3);
    } finally {
      await again.stop();
    }
  });

  it('does not keep the seq of a commit that failed', async () => {
    const buffer = open();
    try {
      // A second writer took the next seq: the commit fails on the primary key and rolls back whole.
      const other = new Sqlite(file);
      other
        .prepare(
          'INSERT INTO records_ordinary (seq, kind, device, channel, value, unit, quality, exception, ts, mono, boot, flags) VALUES (1, 0, 1, 1, 0, 1, 0, NULL, 0, 0, 1, 0)',
        )
        .run();
      other.close();
      await expect(buffer.append([reading(1)], { stream: 'det-1/telemetry', seq: 9 })).rejects.toMatchObject({ code: 'ATALAYA_BUFFER_WRITE_FAILED' });
      expect(buffer.deviceSeq('det-1/telemetry')).toBeUndefined();
    } finally {
      await buffer.stop();
    }
  });
});
