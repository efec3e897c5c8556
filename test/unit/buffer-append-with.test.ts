import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Sqlite from 'better-sqlite3';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RecordBuffer } from '../../agent/buffer/buffer.ts';
import { BUFFER_CLOSED, BUFFER_INVALID_RECORD, BUFFER_WRITE_FAILED } from '../../agent/buffer/errors.ts';
import type { Clock } from '../../protocols/clock.ts';
import type { NewRecord } from '../../protocols/records.ts';
import { PRIORITY } from '../../protocols/records.ts';

const T0 = 1_750_000_000_000;
const clock: Clock = { now: () => T0, monotonic: () => 1000 };

const rec = (i: number): NewRecord => ({
  kind: 'reading',
  device: 'dev-1',
  channel: 'ch4',
  value: i,
  unit: '%LEL',
  quality: 'good',
  exception: null,
  ts: T0 + i,
  mono: i,
  bootId: 'b0a1c2d3-0000-4000-8000-000000000001',
  priority: PRIORITY.ordinary,
  flags: 0,
});

type Ended = { code: unknown; firstSeq: number; committed: number | undefined };

/** appendWith, resolved with what its callback got and how many records the buffer held then. */
function appendWith(buffer: RecordBuffer, records: NewRecord[], mark?: { stream: string; seq: number }): Promise<Ended> {
  return new Promise((resolve) => {
    buffer.appendWith(records, mark, (err, firstSeq) => {
      let committed: number | undefined;
      try {
        committed = buffer.stats().count;
      } catch {
        committed = undefined;
      }
      resolve({ code: (err as { code?: unknown } | undefined)?.code, firstSeq, committed });
    });
  });
}

describe('RecordBuffer.appendWith (append without a promise, issue 18)', () => {
  let dir: string;
  let file: string;
  let buffer: RecordBuffer;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atalaya-append-with-'));
    file = path.join(dir, 'buffer.db');
    buffer = new RecordBuffer({ path: file, clock, logger: pino({ level: 'silent' }), busyTimeoutMs: 0 });
    buffer.start();
  });

  afterEach(async () => {
    await buffer.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('calls back once per append, after the commit, with the first seq of each in queue order, marks committed too', async () => {
    const ends = await Promise.all([
      appendWith(buffer, [rec(1), rec(2)]),
      appendWith(buffer, [rec(3)], { stream: 'dev-1/telemetry', seq: 7 }),
      appendWith(buffer, [rec(4)]),
    ]);
    expect(ends).toEqual([
      { code: undefined, firstSeq: 1, committed: 4 },
      { code: undefined, firstSeq: 3, committed: 4 },
      { code: undefined, firstSeq: 4, committed: 4 },
    ]);
    expect(buffer.readAfter(0, 10).map((r) => r.value)).toEqual([1, 2, 3, 4]);
    expect(buffer.deviceSeq('dev-1/telemetry')).toBe(7);
  });

  it('refuses at once, by code, what append() rejects: invalid records, a stopped buffer', async () => {
    let refusal: unknown;
    buffer.appendWith([{ ...rec(1), quality: 'bad' as 'good' }], undefined, (err) => {
      refusal = err;
    });
    expect((refusal as { code?: unknown }).code).toBe(BUFFER_INVALID_RECORD);
    await buffer.stop();
    buffer.appendWith([rec(1)], undefined, (err) => {
      refusal = err;
    });
    expect((refusal as { code?: unknown }).code).toBe(BUFFER_CLOSED);
  });

  it('a failed commit calls back every append of it with BUFFER_WRITE_FAILED; a later one commits', async () => {
    await appendWith(buffer, [rec(0)]);
    const other = new Sqlite(file);
    try {
      other.exec('BEGIN IMMEDIATE');
      const ends = await Promise.all([appendWith(buffer, [rec(1)]), appendWith(buffer, [rec(2)])]);
      expect(ends.map((e) => e.code)).toEqual([BUFFER_WRITE_FAILED, BUFFER_WRITE_FAILED]);
      other.exec('ROLLBACK');
    } finally {
      other.close();
    }
    expect(await appendWith(buffer, [rec(3)])).toEqual({ code: undefined, firstSeq: 2, committed: 2 });
  });

  it('append() still copies: a caller that empties or refills its array before the commit changes nothing', async () => {
    const records = [rec(1), rec(2)];
    const appended = buffer.append(records);
    records.length = 0;
    records.push(rec(9));
    expect(await appended).toEqual([1, 2]);
    expect(buffer.readAfter(0, 10).map((r) => r.value)).toEqual([1, 2]);
  });

  it('a callback that throws does not keep the other appends of its commit from being told', async () => {
    buffer.appendWith([rec(1)], undefined, () => {
      throw new Error('caller bug');
    });
    expect(await appendWith(buffer, [rec(2)])).toEqual({ code: undefined, firstSeq: 2, committed: 2 });
  });
});
