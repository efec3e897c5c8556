/**
 * buffer.append refuses exactly what the wire refuses (issue 12): the record table of
 * records-check.test.ts against a real SQLite file, and the sink pollers and alarms use.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RecordBuffer } from '../../agent/buffer/buffer.ts';
import { droppingInvalid } from '../../agent/buffer/checked-sink.ts';
import { BUFFER_INVALID_RECORD, isBufferError } from '../../agent/buffer/errors.ts';
import { selectBatch } from '../../agent/sync/batcher.ts';
import type { Clock } from '../../protocols/clock.ts';
import type { NewRecord, StoredRecord } from '../../protocols/records.ts';
import { ATALAYA_RECORD_INVALID, isRecordError } from '../../protocols/records-errors.ts';
import { estimateRecordBytes } from '../../protocols/sync/batch.ts';
import { INVALID, VALID } from './record-table.ts';

const logger = pino({ level: 'silent' });
const clock: Clock = { now: () => 1_750_000_000_000, monotonic: () => 1000 };

/** What append takes: the record without its seq (the buffer assigns it). */
const fresh = (r: StoredRecord): NewRecord => {
  const { seq: _seq, ...record } = r;
  return record;
};

let dir: string;
let buffer: RecordBuffer;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atalaya-check-'));
  buffer = new RecordBuffer({ path: path.join(dir, 'buffer.db'), commitIntervalMs: 0, clock, logger });
  buffer.start();
});

afterEach(async () => {
  await buffer.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

// seq is the buffer's to assign: the rules about it apply to what the buffer hands the sync.
const APPENDABLE = INVALID.filter((k) => k.path !== 'seq');

describe('buffer.append and the record check', () => {
  it.each(APPENDABLE.map((k) => [k.label, k] as const))('refuses %s, the whole append, before it is queued', async (_label, { record, path: field }) => {
    const err = await rejection(buffer.append([fresh(VALID[0]!), fresh(record)]));
    expect(isBufferError(err, BUFFER_INVALID_RECORD)).toBe(true);
    expect((err as { details: unknown }).details).toMatchObject({ index: 1, field });
    const cause = (err as Error).cause;
    expect(isRecordError(cause) && cause.code).toBe(ATALAYA_RECORD_INVALID);
    expect(buffer.stats()).toMatchObject({ count: 0, pending: 0 });
  });

  it('stores every valid record, and so nothing the sync selects is ever refused', async () => {
    for (const r of APPENDABLE) await rejection(buffer.append([fresh(r.record)]));
    const seqs = await buffer.append(VALID.map(fresh));
    expect(seqs).toHaveLength(VALID.length);
    const selection = selectBatch(buffer, { records: 1000, bytes: 10 * 2 ** 20 }, estimateRecordBytes);
    expect(selection.refused).toEqual([]);
    expect(selection.records).toHaveLength(VALID.length);
  });

  it('gives pollers and alarms a sink that drops only the invalid records, logging each problem once', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
        done();
      },
    });
    const append = droppingInvalid((records) => buffer.append(records), pino({ level: 'error' }, sink));
    const poll = [fresh(VALID[0]!), fresh(APPENDABLE.find((k) => k.path === 'unit')!.record), fresh(VALID[2]!)];
    expect(await append(poll)).toHaveLength(2);
    expect(await append(poll)).toHaveLength(2);
    expect(buffer.readAfter(0, 10).map((r) => r.unit)).toEqual([VALID[0]!.unit, VALID[2]!.unit, VALID[0]!.unit, VALID[2]!.unit]);
    expect(lines.map((l) => [l['code'], l['path']])).toEqual([[ATALAYA_RECORD_INVALID, 'unit']]);
    expect(await append([fresh(VALID[1]!)])).toHaveLength(1);
  });
});
