import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RecordBuffer } from '../../agent/buffer/buffer.ts';
import { INSERT_ROWS } from '../../agent/buffer/statements.ts';
import type { Clock } from '../../protocols/clock.ts';
import type { NewRecord, Priority } from '../../protocols/records.ts';
import { PRIORITY } from '../../protocols/records.ts';

const T0 = 1_750_000_000_000;
const clock: Clock = { now: () => T0, monotonic: () => 1000 };
const PRIORITIES: readonly Priority[] = [PRIORITY.ordinary, PRIORITY.dga, PRIORITY.alarm];

/** Record i of a commit: the three priorities interleaved unevenly, so every table gets full multi-row groups and a remainder. */
function rec(i: number): NewRecord {
  const priority = PRIORITIES[i % 7 === 0 ? 2 : i % 3 === 0 ? 1 : 0] as Priority;
  const base: NewRecord = {
    kind: 'reading',
    device: `dev-${i % 5}`,
    channel: priority === PRIORITY.dga ? 'flow' : `ch${i % 4}`,
    value: i % 11 === 0 ? null : i + 0.5,
    unit: i % 2 === 0 ? 'ppm' : '',
    quality: i % 13 === 0 ? 'comm_error' : 'good',
    exception: i % 13 === 0 ? 4 : null,
    ts: T0 - 10_000 + i,
    mono: 20_000 + i,
    bootId: 'b0a1c2d3-0000-4000-8000-000000000001',
    priority,
    flags: i % 17 === 0 ? 1 : 0,
  };
  if (priority !== PRIORITY.alarm) return base;
  return { ...base, kind: 'alarm', alarm: { rule: `r${i % 2}`, level: 'alarm', state: i % 14 === 0 ? 'raised' : 'cleared', threshold: 20 } };
}

describe('a group commit of many records (multi-row inserts, issue 18)', () => {
  let dir: string;
  let buffer: RecordBuffer;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atalaya-multirow-'));
    buffer = new RecordBuffer({ path: path.join(dir, 'buffer.db'), clock, logger: pino({ level: 'silent' }) });
    buffer.start();
  });

  afterEach(async () => {
    await buffer.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('stores every record of every table exactly as appended, in seq order, whole groups and remainders alike', async () => {
    // Sizes around the group size, appended one record at a time like MQTT ingest, all in one commit.
    for (const n of [1, INSERT_ROWS - 1, INSERT_ROWS, INSERT_ROWS + 1, 7 * INSERT_ROWS + 5]) {
      const records = Array.from({ length: n }, (_, i) => rec(i));
      const before = buffer.stats().lastSeq;
      const seqs = await Promise.all(records.map((r) => buffer.append([r])));
      expect(seqs.flat()).toEqual(records.map((_, i) => before + 1 + i));
      const stored = buffer.readAfter(before, n + 10);
      expect(stored.map(({ seq, ...rest }) => ({ seq, record: rest }))).toEqual(records.map((r, i) => ({ seq: before + 1 + i, record: r })));
    }
    expect(buffer.stats().count).toBe(1 + (INSERT_ROWS - 1) + INSERT_ROWS + (INSERT_ROWS + 1) + (7 * INSERT_ROWS + 5));
  });

  it('keeps the latest reading per channel and the alarm state of the last transition of a large commit', async () => {
    const records = Array.from({ length: 5 * INSERT_ROWS }, (_, i) => rec(i));
    await Promise.all(records.map((r) => buffer.append([r])));
    const lastReading = new Map<string, number>();
    for (const [i, r] of records.entries()) if (r.kind === 'reading') lastReading.set(`${r.device}/${r.channel}`, i + 1);
    expect(new Map(buffer.latest().map((r) => [`${r.device}/${r.channel}`, r.seq]))).toEqual(lastReading);
    const lastAlarm = new Map<string, number>();
    for (const [i, r] of records.entries()) if (r.alarm !== undefined) lastAlarm.set(`${r.device}/${r.channel}/${r.alarm.rule}`, i + 1);
    expect(new Map(buffer.alarmStates().map((a) => [`${a.device}/${a.channel}/${a.rule}`, a.seq]))).toEqual(lastAlarm);
  });
});
