import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Sqlite from 'better-sqlite3';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AlarmStateEntry, BufferOptions } from '../../agent/buffer/buffer.ts';
import { RecordBuffer } from '../../agent/buffer/buffer.ts';
import { BUFFER_INVALID_RECORD, BUFFER_WRITE_FAILED } from '../../agent/buffer/errors.ts';
import { MIGRATIONS, migrate, userVersion } from '../../agent/buffer/migrations.ts';
import { RECORD_TABLES } from '../../agent/buffer/statements.ts';
import type { AlarmDetail, NewRecord, StoredRecord } from '../../protocols/records.ts';
import { PRIORITY } from '../../protocols/records.ts';

const logger = pino({ level: 'silent' });
const DAY = 24 * 3600 * 1000;
const T0 = 1_750_000_000_000;
let now = T0;
const clock = { now: () => now, monotonic: () => 1000 };

function reading(i: number, more: Partial<NewRecord> = {}): NewRecord {
  return {
    kind: 'reading',
    device: 'gas-1',
    channel: 'ch4',
    value: i,
    unit: '%LEL',
    quality: 'good',
    exception: null,
    ts: T0 + i,
    mono: i,
    bootId: 'boot-a',
    priority: PRIORITY.ordinary,
    flags: 0,
    ...more,
  };
}

function alarm(i: number, detail: Partial<AlarmDetail> = {}, more: Partial<NewRecord> = {}): NewRecord {
  return {
    ...reading(i, { kind: 'alarm', priority: PRIORITY.alarm }),
    alarm: { rule: 'high1', level: 'alarm', state: 'raised', threshold: 20, ...detail },
    ...more,
  };
}

/** The alarm_state entry the alarm record `r` committed at `seq` sets. */
function stateOf(r: NewRecord, seq: number): AlarmStateEntry {
  const a = r.alarm as AlarmDetail;
  return { device: r.device, channel: r.channel, rule: a.rule, level: a.level, state: a.state, threshold: a.threshold, value: r.value, ts: r.ts, seq };
}

async function rejection(promise: Promise<unknown>): Promise<{ code?: unknown; details?: unknown }> {
  try {
    await promise;
  } catch (err) {
    return err as { code?: unknown; details?: unknown };
  }
  throw new Error('expected a rejection');
}

let dir: string;
let file: string;
const open: RecordBuffer[] = [];

function started(more: Partial<BufferOptions> = {}): RecordBuffer {
  const buffer = new RecordBuffer({ path: file, clock, logger, commitIntervalMs: 5, ...more });
  open.push(buffer);
  buffer.start();
  return buffer;
}

beforeEach(() => {
  now = T0;
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atalaya-'));
  file = path.join(dir, 'buffer.db');
});

afterEach(async () => {
  for (const buffer of open.splice(0)) await buffer.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('alarm records', () => {
  it('round-trip their detail through readAfter and the committed event; readings carry none', async () => {
    const buffer = started();
    const committed: StoredRecord[] = [];
    buffer.on('committed', (records) => committed.push(...records));
    const records = [reading(0), alarm(1, { threshold: null, level: 'warning', rule: 'device' }), alarm(2, { state: 'cleared' }, { priority: PRIORITY.dga })];
    expect(await buffer.append(records)).toEqual([1, 2, 3]);

    const stored = buffer.readAfter(0, 10);
    expect(stored).toEqual(records.map((r, i) => ({ ...r, seq: i + 1 })));
    expect('alarm' in (stored[0] as StoredRecord)).toBe(false);
    expect(committed).toEqual(stored);
    expect(buffer.readAfter(0, 10, 'alarm')).toEqual(stored.slice(1));

    await buffer.stop();
    expect(started().readAfter(0, 10)).toEqual(stored);
  });

  it('rejects a missing or malformed detail, or a detail on a reading, with INVALID_RECORD for that append only', async () => {
    const buffer = started({ commitIntervalMs: 10_000 });
    const good = buffer.append([alarm(0)]);
    const bad: [NewRecord, string][] = [
      [{ ...alarm(1), alarm: undefined }, 'alarm'],
      [alarm(1, { rule: '' }), 'alarm.rule'],
      [alarm(1, { level: 'critical' as 'alarm' }), 'alarm.level'],
      [alarm(1, { state: 'open' as 'raised' }), 'alarm.state'],
      [alarm(1, { threshold: Number.POSITIVE_INFINITY }), 'alarm.threshold'],
      [{ ...reading(1), alarm: { rule: 'high1', level: 'alarm', state: 'raised', threshold: 1 } }, 'alarm'],
    ];
    for (const [record, field] of bad) {
      const err = await rejection(buffer.append([reading(2), record]));
      expect(err.code).toBe(BUFFER_INVALID_RECORD);
      expect(err.details).toEqual({ index: 1, field });
    }
    await buffer.flush();
    await expect(good).resolves.toEqual([1]);
    expect(buffer.stats().count).toBe(1);
    expect(buffer.alarmStates()).toEqual([stateOf(alarm(0), 1)]);
  });
});

describe('latest() with alarms', () => {
  it('tracks readings only: an alarm record on the channel does not replace its latest reading', async () => {
    let buffer = started();
    await buffer.append([reading(0), alarm(1)]);
    await buffer.append([alarm(2, { state: 'acknowledged' }), reading(3, { channel: 'o2' })]);
    const expected = [
      { ...reading(0), seq: 1 },
      { ...reading(3, { channel: 'o2' }), seq: 4 },
    ];
    expect(buffer.latest()).toEqual(expected);
    await buffer.stop();
    buffer = started();
    expect(buffer.latest()).toEqual(expected);
  });
});

describe('alarmStates()', () => {
  it('keeps the last transition per (device, channel, rule), ordered by seq, across commits, release and reopen', async () => {
    let buffer = started();
    const first = [alarm(0), alarm(1, { rule: 'high2', threshold: 40 }), alarm(2, { rule: 'high1', state: 'acknowledged' })];
    await buffer.append(first);
    expect(buffer.alarmStates()).toEqual([stateOf(first[1]!, 2), stateOf(first[2]!, 3)]);

    const second = [alarm(3, {}, { device: 'gas-2' }), alarm(4, { state: 'cleared' }, { value: 12 }), reading(5)];
    await buffer.append(second);
    const expected = [stateOf(first[1]!, 2), stateOf(second[0]!, 4), stateOf(second[1]!, 5)];
    expect(buffer.alarmStates()).toEqual(expected);

    expect(buffer.releaseUpTo(6)).toBe(6);
    await buffer.stop();
    buffer = started();
    expect(buffer.stats().count).toBe(0);
    expect(buffer.alarmStates()).toEqual(expected);
  });

  it('outlives the eviction of the alarm records', async () => {
    const buffer = started({ maxAgeMs: 30 * DAY });
    const old = alarm(0, {}, { ts: T0 - 40 * DAY });
    await buffer.append([old]);
    // The age check runs at most every 10 s of wall time (eviction.ts AGE_CHECK_INTERVAL_MS).
    now = T0 + 60_000;
    await buffer.append([reading(1)]);
    expect(buffer.stats().evicted.alarm).toBe(1);
    expect(buffer.readAfter(0, 10, 'alarm')).toEqual([]);
    expect(buffer.alarmStates()).toEqual([stateOf(old, 1)]);
  });

  it('is not changed by a commit that fails, and is by the same records once they commit', async () => {
    const buffer = started({ busyTimeoutMs: 0 });
    await buffer.append([alarm(0)]);
    const other = new Sqlite(file);
    const next = [alarm(1, { state: 'cleared' }), alarm(2, { rule: 'rule-seen-first-in-a-failed-commit' })];
    try {
      other.exec('BEGIN IMMEDIATE');
      const failed = rejection(buffer.append(next));
      await expect(buffer.flush()).rejects.toMatchObject({ code: BUFFER_WRITE_FAILED });
      expect((await failed).code).toBe(BUFFER_WRITE_FAILED);
      other.exec('ROLLBACK');
    } finally {
      other.close();
    }
    expect(buffer.alarmStates()).toEqual([stateOf(alarm(0), 1)]);
    expect(await buffer.append(next)).toEqual([2, 3]);
    expect(buffer.alarmStates()).toEqual([stateOf(next[0]!, 2), stateOf(next[1]!, 3)]);
  });
});

describe('migration 2 (alarm detail, alarm_state)', () => {
  /** Writes `r` at `seq` the way a version-1 agent did: no alarm column, latest for every kind. */
  function insertV1(db: Sqlite.Database, seq: number, r: NewRecord): void {
    const id = (name: string): number => {
      db.prepare('INSERT OR IGNORE INTO names (name) VALUES (?)').run(name);
      return db.prepare('SELECT id FROM names WHERE name = ?').pluck().get(name) as number;
    };
    const kind = r.kind === 'alarm' ? 1 : 0;
    const row = [seq, kind, id(r.device), id(r.channel), r.value, id(r.unit), 0, r.exception, r.ts, r.mono, id(r.bootId), r.flags];
    db.prepare(
      `INSERT INTO ${RECORD_TABLES[r.priority]} (seq, kind, device, channel, value, unit, quality, exception, ts, mono, boot, flags) VALUES (${row.map(() => '?').join(', ')})`,
    ).run(...row);
    db.prepare(
      `INSERT OR REPLACE INTO latest (seq, kind, device, channel, value, unit, quality, exception, ts, mono, boot, priority, flags)
       VALUES (${[...row.slice(0, 11), r.priority, r.flags].map(() => '?').join(', ')})`,
    ).run(...row.slice(0, 11), r.priority, r.flags);
  }

  it('upgrades a version-1 file: keeps every record and the seq counter, repairs latest, adds the alarm columns', async () => {
    const v1Records: NewRecord[] = [
      reading(0),
      reading(1, { channel: 'flow', unit: 'm3/h', priority: PRIORITY.dga }),
      // A version-1 agent had no alarm detail to store.
      reading(2, { kind: 'alarm', priority: PRIORITY.alarm }),
      reading(3, { kind: 'alarm', priority: PRIORITY.alarm, channel: 'status' }),
    ];
    const db = new Sqlite(file);
    try {
      migrate(db, logger, MIGRATIONS.slice(0, 1));
      db.transaction(() => {
        v1Records.forEach((r, i) => {
          insertV1(db, i + 1, r);
        });
        // Seqs 5..7 were committed and released: the counter, not max(seq), says what comes next.
        db.prepare("UPDATE meta SET value = 8 WHERE key = 'next_seq'").run();
      })();
      expect(userVersion(db)).toBe(1);
    } finally {
      db.close();
    }

    const buffer = started();
    const stored = buffer.readAfter(0, 10);
    expect(stored).toEqual(v1Records.map((r, i) => ({ ...r, seq: i + 1 })));
    expect(stored.some((r) => 'alarm' in r)).toBe(false);
    expect(buffer.stats()).toMatchObject({ count: 4, lastSeq: 7 });
    // The alarm that had taken ch4's place in latest gives it back to the reading; 'status' had none.
    expect(buffer.latest().map((r) => [r.seq, r.channel])).toEqual([
      [1, 'ch4'],
      [2, 'flow'],
    ]);
    expect(buffer.alarmStates()).toEqual([]);

    const raised = alarm(8, { rule: 'high2' });
    expect(await buffer.append([raised, reading(9)])).toEqual([8, 9]);
    expect(buffer.readAfter(7, 10, 'alarm')).toEqual([{ ...raised, seq: 8 }]);
    expect(buffer.alarmStates()).toEqual([stateOf(raised, 8)]);
    await buffer.stop();

    const check = new Sqlite(file, { readonly: true });
    try {
      expect(userVersion(check)).toBe(MIGRATIONS.length);
      // People with a sqlite3 shell read the detail from the `records` view.
      expect(check.prepare("SELECT seq, alarm ->> '$.rule', alarm ->> '$.state' FROM records WHERE kind = 1 ORDER BY seq").raw().all()).toEqual([
        [3, null, null],
        [4, null, null],
        [8, 'high2', 'raised'],
      ]);
    } finally {
      check.close();
    }
  });
});
