import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Sqlite from 'better-sqlite3';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BufferOptions } from '../../agent/buffer/buffer.ts';
import { RecordBuffer } from '../../agent/buffer/buffer.ts';
import {
  BUFFER_CLOSED,
  BUFFER_INVALID_OPTIONS,
  BUFFER_INVALID_RECORD,
  BUFFER_MIGRATION_FAILED,
  BUFFER_SCHEMA_TOO_NEW,
  BUFFER_WRITE_FAILED,
} from '../../agent/buffer/errors.ts';
import { MIGRATIONS, migrate, userVersion } from '../../agent/buffer/migrations.ts';
import type { Clock } from '../../protocols/clock.ts';
import type { NewRecord, StoredRecord } from '../../protocols/records.ts';
import { PRIORITY } from '../../protocols/records.ts';

const logger = pino({ level: 'silent' });
const T0 = 1_750_000_000_000;
const clock: Clock = { now: () => T0, monotonic: () => 1000 };

function rec(i: number, more: Partial<NewRecord> = {}): NewRecord {
  return {
    kind: 'reading',
    device: `gas-${i % 3}`,
    channel: `ch${i % 2}`,
    value: i + 0.25,
    unit: 'ppm',
    quality: 'good',
    exception: null,
    ts: T0 - 1000 + i,
    mono: 50_000 + i,
    bootId: 'b0a1c2d3-0000-4000-8000-000000000001',
    priority: PRIORITY.ordinary,
    flags: 0,
    ...more,
  };
}

async function rejection(promise: Promise<unknown>): Promise<{ code?: unknown; cause?: unknown }> {
  try {
    await promise;
  } catch (err) {
    return err as { code?: unknown; cause?: unknown };
  }
  throw new Error('expected a rejection');
}

function thrown(fn: () => unknown): { code?: unknown; details?: unknown } {
  try {
    fn();
  } catch (err) {
    return err as { code?: unknown; details?: unknown };
  }
  throw new Error('expected a throw');
}

let dir: string;
let file: string;
const open: RecordBuffer[] = [];

function makeBuffer(more: Partial<BufferOptions> = {}): RecordBuffer {
  const buffer = new RecordBuffer({ path: file, clock, logger, commitIntervalMs: 5, ...more });
  open.push(buffer);
  return buffer;
}

function started(more: Partial<BufferOptions> = {}): RecordBuffer {
  const buffer = makeBuffer(more);
  buffer.start();
  return buffer;
}

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atalaya-'));
  file = path.join(dir, 'nested', 'buffer.db');
});

afterEach(async () => {
  for (const buffer of open.splice(0)) await buffer.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('RecordBuffer append and read', () => {
  it('assigns increasing seqs and reads back the exact records, in seq order, by kind', async () => {
    const buffer = started();
    const alarm = { rule: 'high1', level: 'alarm', state: 'raised', threshold: 25 } as const;
    const first = [rec(0), rec(1, { kind: 'alarm', priority: PRIORITY.alarm, value: null, quality: 'exception', exception: 2, alarm })];
    const second = [rec(2, { quality: 'comm_error', value: null, flags: 1 }), rec(3, { value: -1.5e9, unit: '%LEL' })];
    const [a, b] = await Promise.all([buffer.append(first), buffer.append(second)]);
    expect(a).toEqual([1, 2]);
    expect(b).toEqual([3, 4]);

    const all = buffer.readAfter(0, 100);
    expect(all).toEqual([...first, ...second].map((r, i) => ({ ...r, seq: i + 1 })));
    expect(buffer.readAfter(1, 2).map((r) => r.seq)).toEqual([2, 3]);
    expect(buffer.readAfter(4, 10)).toEqual([]);
    expect(buffer.readAfter(0, 10, 'alarm').map((r) => r.seq)).toEqual([2]);
    expect(buffer.readAfter(0, 10, 'reading').map((r) => r.seq)).toEqual([1, 3, 4]);
  });

  it('groups the appends of one window into one commit and splits at maxBatch', async () => {
    const buffer = started({ commitIntervalMs: 10_000, maxBatch: 10 });
    const commits: number[][] = [];
    buffer.on('committed', (records) => commits.push(records.map((r) => r.seq)));
    // Three appends of 4: the third would make 12 > maxBatch, so 8 rows commit together, then 4;
    // reaching maxBatch commits without waiting for the 10 s window.
    const appends = [0, 1, 2].map((k) => buffer.append([0, 1, 2, 3].map((i) => rec(k * 4 + i))));
    expect(buffer.stats().pending).toBe(12);
    await Promise.all(appends);
    expect(commits).toEqual([
      [1, 2, 3, 4, 5, 6, 7, 8],
      [9, 10, 11, 12],
    ]);
    expect(buffer.stats().pending).toBe(0);
  });

  it('flush() commits what is queued without waiting for the window', async () => {
    const buffer = started({ commitIntervalMs: 10_000 });
    const pending = buffer.append([rec(0)]);
    await buffer.flush();
    expect(buffer.stats()).toMatchObject({ count: 1, pending: 0 });
    await expect(pending).resolves.toEqual([1]);
  });

  it('emits committed with the stored records after the commit', async () => {
    const buffer = started();
    const seen: StoredRecord[][] = [];
    buffer.on('committed', (records) => seen.push([...records]));
    const seqs = await buffer.append([rec(0), rec(1)]);
    expect(seen).toEqual([buffer.readAfter(0, 10)]);
    expect(seen[0]?.map((r) => r.seq)).toEqual(seqs);
  });

  it('rejects a malformed record with a code, without failing the other appends of the window', async () => {
    const buffer = started();
    const good = buffer.append([rec(0)]);
    const bad = { ...rec(1), quality: 'great' } as unknown as NewRecord;
    expect((await rejection(buffer.append([rec(2), bad]))).code).toBe(BUFFER_INVALID_RECORD);
    expect((await rejection(buffer.append([rec(3, { value: Number.NaN })]))).code).toBe(BUFFER_INVALID_RECORD);
    await expect(good).resolves.toEqual([1]);
    expect(buffer.stats().count).toBe(1);
  });
});

describe('RecordBuffer release', () => {
  it('releaseUpTo and release delete what the relay acknowledged and report rows removed', async () => {
    const buffer = started();
    await buffer.append([0, 1, 2, 3, 4, 5].map((i) => rec(i)));
    expect(buffer.releaseUpTo(2)).toBe(2);
    expect(buffer.releaseUpTo(2)).toBe(0);
    expect(buffer.release([5, 4, 99])).toBe(2);
    expect(buffer.readAfter(0, 10).map((r) => r.seq)).toEqual([3, 6]);
    expect(buffer.stats().count).toBe(2);
  });

  it('never reuses a seq: after releasing the top rows, and after a reopen', async () => {
    let buffer = started();
    await buffer.append([rec(0), rec(1), rec(2)]);
    expect(buffer.release([3])).toBe(1);
    expect(await buffer.append([rec(3)])).toEqual([4]);
    expect(buffer.releaseUpTo(4)).toBe(3);
    await buffer.stop();

    buffer = started();
    expect(buffer.stats()).toMatchObject({ count: 0, lastSeq: 4 });
    expect(await buffer.append([rec(4)])).toEqual([5]);
  });
});

describe('RecordBuffer lifecycle', () => {
  it('stop() commits pending appends, is idempotent, and later appends reject with BUFFER_CLOSED', async () => {
    const buffer = started({ commitIntervalMs: 10_000 });
    const pending = buffer.append([rec(0)]);
    await buffer.stop();
    await buffer.stop();
    await expect(pending).resolves.toEqual([1]);
    expect((await rejection(buffer.append([rec(1)]))).code).toBe(BUFFER_CLOSED);
    expect(thrown(() => buffer.readAfter(0, 1)).code).toBe(BUFFER_CLOSED);

    const reopened = started();
    expect(reopened.readAfter(0, 10)).toEqual([{ ...rec(0), seq: 1 }]);
  });

  it('rejects use before start()', async () => {
    const buffer = makeBuffer();
    expect((await rejection(buffer.append([rec(0)]))).code).toBe(BUFFER_CLOSED);
    expect(thrown(() => buffer.stats()).code).toBe(BUFFER_CLOSED);
  });

  it('reports every invalid option at once', () => {
    const err = thrown(() => new RecordBuffer({ path: file, clock, logger, commitIntervalMs: 20_000, maxBatch: 0, durability: 'fast' as 'full' }));
    expect(err.code).toBe(BUFFER_INVALID_OPTIONS);
    expect((err.details as { problems: string[] }).problems).toHaveLength(3);
  });

  it('a failed commit rejects its appends and flush() with BUFFER_WRITE_FAILED and its cause, and burns no seq', async () => {
    const buffer = started({ busyTimeoutMs: 0, maxBatch: 1 });
    await buffer.append([rec(0)]);
    // Another connection holding the write lock makes the group commits fail with SQLITE_BUSY.
    const other = new Sqlite(file);
    try {
      other.exec('BEGIN IMMEDIATE');
      const first = rejection(buffer.append([rec(1)]));
      const second = rejection(buffer.append([rec(2)]));
      expect((await rejection(buffer.flush())).code).toBe(BUFFER_WRITE_FAILED);
      for (const err of [await first, await second]) {
        expect(err.code).toBe(BUFFER_WRITE_FAILED);
        expect((err.cause as { code?: unknown }).code).toBe('SQLITE_BUSY');
      }
      other.exec('ROLLBACK');
    } finally {
      other.close();
    }
    expect(buffer.stats()).toMatchObject({ count: 1, pending: 0 });
    expect(await buffer.append([rec(3)])).toEqual([2]);
  });

  it('a second writer on the same file fails the commit on the seq key; names interned by the failed commit are not kept', async () => {
    let buffer = started();
    await buffer.append([rec(0)]);
    const other = new Sqlite(file);
    const columns = 'seq, kind, device, channel, value, unit, quality, exception, ts, mono, boot, flags';
    other.prepare(`INSERT INTO records_ordinary (${columns}) VALUES (2, 0, 1, 1, 0, 1, 0, NULL, 0, 0, 1, 0)`).run();
    const err = await rejection(buffer.append([rec(1, { device: 'seen-first-in-a-failed-commit' })]));
    expect(err.code).toBe(BUFFER_WRITE_FAILED);
    expect((err.cause as { code?: unknown }).code).toBe('SQLITE_CONSTRAINT_PRIMARYKEY');
    other.prepare('DELETE FROM records_ordinary WHERE seq = 2').run();
    other.close();

    expect(await buffer.append([rec(2, { device: 'seen-first-in-a-failed-commit' })])).toEqual([2]);
    await buffer.stop();
    buffer = started();
    expect(buffer.readAfter(1, 10)).toEqual([{ ...rec(2, { device: 'seen-first-in-a-failed-commit' }), seq: 2 }]);
  });
});

describe('RecordBuffer stats and latest', () => {
  it('stats() reports count, bytes, oldest ts, last seq, pending and evictions', async () => {
    const buffer = started();
    expect(buffer.stats()).toEqual({
      count: 0,
      bytes: expect.any(Number),
      oldestTs: null,
      lastSeq: 0,
      evicted: { ordinary: 0, dga: 0, alarm: 0 },
      pending: 0,
      health: expect.objectContaining({ state: 'writable', failedCommits: 0, lostRecords: 0 }),
    });
    await buffer.append([rec(5, { ts: T0 - 10 }), rec(6, { ts: T0 - 50 }), rec(7, { ts: T0 - 20 })]);
    const stats = buffer.stats();
    expect(stats).toMatchObject({ count: 3, oldestTs: T0 - 50, lastSeq: 3, pending: 0 });
    expect(stats.bytes).toBeGreaterThan(0);
  });

  it('latest() keeps the newest record per (device, channel), across release and reopen', async () => {
    let buffer = started();
    await buffer.append([rec(0, { device: 'a', channel: 'x', value: 1 }), rec(1, { device: 'a', channel: 'y', value: 2 })]);
    await buffer.append([rec(2, { device: 'a', channel: 'x', value: 3 }), rec(3, { device: 'b', channel: 'x', value: 4 })]);
    await buffer.append([rec(4, { device: 'a', channel: 'x', value: 5 }), rec(5, { device: 'a', channel: 'x', value: 6 })]);
    const expected = [
      { ...rec(1, { device: 'a', channel: 'y', value: 2 }), seq: 2 },
      { ...rec(3, { device: 'b', channel: 'x', value: 4 }), seq: 4 },
      { ...rec(5, { device: 'a', channel: 'x', value: 6 }), seq: 6 },
    ];
    expect(buffer.latest()).toEqual(expected);
    buffer.releaseUpTo(6);
    await buffer.stop();
    buffer = started();
    expect(buffer.latest()).toEqual(expected);
  });
});

describe('buffer migrations', () => {
  it('creates a fresh file at the latest version and leaves a current one alone', async () => {
    let buffer = started();
    await buffer.append([rec(0)]);
    await buffer.stop();
    const db = new Sqlite(file);
    try {
      expect(userVersion(db)).toBe(MIGRATIONS.length);
      expect(migrate(db, logger)).toEqual({ from: MIGRATIONS.length, to: MIGRATIONS.length });
    } finally {
      db.close();
    }
    buffer = started();
    expect(buffer.readAfter(0, 10)).toHaveLength(1);
  });

  it('refuses a file written by a newer schema, without touching it', async () => {
    await started().stop();
    const db = new Sqlite(file);
    db.pragma(`user_version = ${MIGRATIONS.length + 1}`);
    db.close();
    expect(thrown(() => makeBuffer().start()).code).toBe(BUFFER_SCHEMA_TOO_NEW);
    const check = new Sqlite(file);
    expect(userVersion(check)).toBe(MIGRATIONS.length + 1);
    check.close();
  });

  it('applies new steps in order, each in a transaction: a failing step leaves the previous version', () => {
    const db = new Sqlite(path.join(dir, 'm.db'));
    try {
      const steps = [
        { name: 'one', sql: 'CREATE TABLE one (a INTEGER)' },
        { name: 'two', sql: 'CREATE TABLE two (a INTEGER); INSERT INTO nowhere VALUES (1)' },
      ];
      expect(thrown(() => migrate(db, logger, steps)).code).toBe(BUFFER_MIGRATION_FAILED);
      expect(userVersion(db)).toBe(1);
      expect(db.prepare("SELECT name FROM sqlite_master WHERE name IN ('one', 'two')").pluck().all()).toEqual(['one']);
      const fixed = [steps[0]!, { name: 'two', sql: 'CREATE TABLE two (a INTEGER)' }];
      expect(migrate(db, logger, fixed)).toEqual({ from: 1, to: 2 });
      expect(userVersion(db)).toBe(2);
    } finally {
      db.close();
    }
  });
});
