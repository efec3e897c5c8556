import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BufferOptions } from '../../agent/buffer/buffer.ts';
import { RecordBuffer } from '../../agent/buffer/buffer.ts';
import type { NewRecord, Priority, StoredRecord } from '../../protocols/records.ts';
import { PRIORITY, RECORD_FLAGS } from '../../protocols/records.ts';

const logger = pino({ level: 'silent' });
const DAY = 24 * 3600 * 1000;
const T0 = 1_750_000_000_000;
const MAX_BYTES = 192 * 1024;

let now = T0;
let mono = 1000;
const clock = { now: () => now, monotonic: () => mono };

function rec(i: number, priority: Priority, more: Partial<NewRecord> = {}): NewRecord {
  return {
    kind: priority === PRIORITY.alarm ? 'alarm' : 'reading',
    device: `dev-${i % 5}`,
    channel: priority === PRIORITY.dga ? 'flow' : 'gas',
    value: i / 4,
    unit: 'u',
    quality: 'good',
    exception: null,
    ts: now + i,
    mono: i,
    bootId: 'boot-1',
    priority,
    flags: 0,
    ...(priority === PRIORITY.alarm ? { alarm: { rule: 'high1', level: 'alarm', state: i % 2 === 0 ? 'raised' : 'cleared', threshold: 10 } } : {}),
    ...more,
  };
}

let dir: string;
const buffers: RecordBuffer[] = [];

function started(more: Partial<BufferOptions> = {}): RecordBuffer {
  const buffer = new RecordBuffer({ path: path.join(dir, 'buffer.db'), clock, logger, commitIntervalMs: 0, ...more });
  buffers.push(buffer);
  buffer.start();
  return buffer;
}

function seqsBy(buffer: RecordBuffer): [number[], number[], number[]] {
  const out: [number[], number[], number[]] = [[], [], []];
  for (const r of buffer.readAfter(0, 1_000_000)) out[r.priority].push(r.seq);
  return out;
}

beforeEach(() => {
  now = T0;
  mono = 1000;
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atalaya-'));
});

afterEach(async () => {
  for (const buffer of buffers.splice(0)) await buffer.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('eviction by size', () => {
  it('stays under maxBytes, evicting the oldest ordinary records first, then DGA, alarms last, with persisted counters', async () => {
    const buffer = started({ maxBytes: MAX_BYTES });
    const appended: [number[], number[], number[]] = [[], [], []];
    let i = 0;
    /** Appends one batch of priorities; checks the bound and the order after its commit. */
    const fill = async (pattern: readonly Priority[]): Promise<void> => {
      const before = buffer.stats().evicted;
      const records = Array.from({ length: 100 }, (_, k) => rec(i++, pattern[k % pattern.length] ?? PRIORITY.ordinary));
      const seqs = await buffer.append(records);
      records.forEach((r, k) => {
        appended[r.priority].push(seqs[k] ?? 0);
      });
      const stats = buffer.stats();
      expect(stats.bytes).toBeLessThanOrEqual(MAX_BYTES);
      const [ordinary, dga] = seqsBy(buffer);
      if (stats.evicted.dga > before.dga) expect(ordinary).toEqual([]);
      if (stats.evicted.alarm > before.alarm) expect([ordinary, dga]).toEqual([[], []]);
    };
    const O = PRIORITY.ordinary;
    const D = PRIORITY.dga;
    const A = PRIORITY.alarm;

    while (buffer.stats().evicted.ordinary === 0) await fill([O, O, O, O, O, O, D, D, D, A]);
    expect(buffer.stats().evicted).toMatchObject({ dga: 0, alarm: 0 });
    let [ordinary, dga, alarm] = seqsBy(buffer);
    // Only the oldest ordinary records went, not all of them; every DGA record and alarm is still there.
    expect(ordinary.length).toBeGreaterThan(0);
    expect(ordinary).toEqual(appended[O].slice(appended[O].length - ordinary.length));
    expect(dga).toEqual(appended[D]);
    expect(alarm).toEqual(appended[A]);

    while (buffer.stats().evicted.dga === 0) await fill([D, D, D, A]);
    [ordinary, dga, alarm] = seqsBy(buffer);
    expect(buffer.stats().evicted.alarm).toBe(0);
    expect(dga).toEqual(appended[D].slice(appended[D].length - dga.length));
    expect(alarm).toEqual(appended[A]);

    while (buffer.stats().evicted.alarm === 0) await fill([A]);
    [ordinary, dga, alarm] = seqsBy(buffer);
    expect(alarm).toEqual(appended[A].slice(appended[A].length - alarm.length));

    const evicted = buffer.stats().evicted;
    expect(evicted).toEqual({
      ordinary: appended[O].length - ordinary.length,
      dga: appended[D].length - dga.length,
      alarm: appended[A].length - alarm.length,
    });
    await buffer.stop();
    expect(started({ maxBytes: MAX_BYTES }).stats().evicted).toEqual(evicted);
  });
});

describe('eviction and the sync', () => {
  it('logs evictions once per interval with the counts since the last line (issue 19 item 8)', async () => {
    const lines: Array<{ msg: string; bySize?: { ordinary: number } }> = [];
    const capture = pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s)) });
    const buffer = started({ maxBytes: MAX_BYTES, logger: capture });
    const evictionLines = () => lines.filter((l) => l.msg === 'buffer evicted records unsent');
    let i = 0;
    for (let n = 0; n < 60; n++) await buffer.append(Array.from({ length: 100 }, () => rec(i++, PRIORITY.ordinary)));
    const first = buffer.stats().evicted.ordinary;
    expect(first).toBeGreaterThan(1000);
    expect(evictionLines()).toHaveLength(1);
    mono += 60_000;
    for (let n = 0; n < 5; n++) await buffer.append(Array.from({ length: 100 }, () => rec(i++, PRIORITY.ordinary)));
    expect(evictionLines()).toHaveLength(2);
    // What is left is logged at stop: the lines add up to every eviction.
    const total = buffer.stats().evicted.ordinary;
    await buffer.stop();
    expect(evictionLines().reduce((sum, l) => sum + (l.bySize?.ordinary ?? 0), 0)).toBe(total);
  });

  it('does not evict records handed to the sync until they are released, so the counts add up (issue 19 item 7)', async () => {
    let buffer = started({ maxBytes: MAX_BYTES });
    let i = 0;
    await buffer.append(Array.from({ length: 100 }, () => rec(i++, PRIORITY.ordinary)));
    const inFlight = buffer.readAfter(0, 50);
    buffer.protect(inFlight);
    // The protection outlives a restart: the agent may be killed with the batch in flight.
    await buffer.stop();
    buffer = started({ maxBytes: MAX_BYTES });
    while (buffer.stats().evicted.ordinary < 500) await buffer.append(Array.from({ length: 100 }, () => rec(i++, PRIORITY.ordinary)));
    // The relay stored the batch while the buffer was full: every row of it is still there to release.
    expect(buffer.release(inFlight.map((r) => r.seq))).toBe(50);
    let stats = buffer.stats();
    expect(stats.count + stats.evicted.ordinary + inFlight.length).toBe(stats.lastSeq);
    // Released: eviction takes the oldest rows again.
    await buffer.append(Array.from({ length: 100 }, () => rec(i++, PRIORITY.ordinary)));
    stats = buffer.stats();
    expect(seqsBy(buffer)[0][0]).toBeGreaterThan(100);
    expect(stats.count + stats.evicted.ordinary + inFlight.length).toBe(stats.lastSeq);
  });
});

describe('eviction and protected rows', () => {
  it('does not evict a higher priority while the only ordinary rows left are in flight', async () => {
    const buffer = started({ maxBytes: MAX_BYTES });
    let i = 0;
    await buffer.append(Array.from({ length: 500 }, () => rec(i++, PRIORITY.ordinary)));
    buffer.protect(buffer.readAfter(0, 1000));
    for (let n = 0; n < 40; n++) await buffer.append(Array.from({ length: 50 }, () => rec(i++, PRIORITY.alarm)));
    const stats = buffer.stats();
    expect(stats.bytes).toBeGreaterThan(MAX_BYTES);
    expect(stats.evicted).toEqual({ ordinary: 0, dga: 0, alarm: 0 });
  });
});

describe('eviction by age', () => {
  it('evicts records whose ts is older than maxAgeMs, any priority, except clock-unsynced ones; counted and persisted', async () => {
    let buffer = started({ maxAgeMs: 30 * DAY });
    const records = [
      rec(0, PRIORITY.ordinary, { ts: T0 - 40 * DAY }),
      rec(1, PRIORITY.alarm, { ts: T0 - 31 * DAY }),
      rec(2, PRIORITY.ordinary, { ts: 0, flags: RECORD_FLAGS.clockUnsynced }),
      rec(3, PRIORITY.dga, { ts: T0 - 28 * DAY }),
      rec(4, PRIORITY.ordinary, { ts: T0 - DAY }),
    ];
    await buffer.append(records);

    now = T0 + DAY;
    await buffer.append([rec(5, PRIORITY.ordinary)]);
    const kept = (rs: readonly StoredRecord[]): number[] => rs.map((r) => r.mono);
    expect(kept(buffer.readAfter(0, 100))).toEqual([2, 3, 4, 5]);
    expect(buffer.stats()).toMatchObject({ count: 4, oldestTs: 0, evicted: { ordinary: 1, dga: 0, alarm: 1 } });
    await buffer.stop();

    // Age is also enforced when a buffer opens after a long power-off.
    now = T0 + 60 * DAY;
    buffer = started({ maxAgeMs: 30 * DAY });
    expect(kept(buffer.readAfter(0, 100))).toEqual([2]);
    expect(buffer.stats()).toMatchObject({ count: 1, evicted: { ordinary: 3, dga: 1, alarm: 1 } });
  });
});
