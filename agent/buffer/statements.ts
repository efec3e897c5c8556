import type { Database, Statement } from 'better-sqlite3';
import { RECORD_FLAGS } from '../../protocols/records.ts';
import type { AlarmStateRow, RecordColumns } from './codec.ts';
import type { NameStatements } from './names.ts';

/** Table of each priority (index = PRIORITY value); see migrations.ts for why they are apart. */
export const RECORD_TABLES = ['records_ordinary', 'records_dga', 'records_alarm'] as const;
type PerPriority<T> = readonly [T, T, T];

/** Stored columns, in the order inserts bind them (`alarm` since migration 2). */
const STORED = 'seq, kind, device, channel, value, unit, quality, exception, ts, mono, boot, flags, alarm';
/** What reads return (codec.ts RecordRow): the stored columns with the priority (implied by the table) before flags. */
const selectFrom = (priority: number): string =>
  `SELECT seq, kind, device, channel, value, unit, quality, exception, ts, mono, boot, ${priority} AS priority, flags, alarm FROM ${RECORD_TABLES[priority]}`;
const perTable = (make: (table: string, priority: number) => string): PerPriority<string> => [
  make(RECORD_TABLES[0], 0),
  make(RECORD_TABLES[1], 1),
  make(RECORD_TABLES[2], 2),
];
/**
 * The three tables merged by seq: SQLite runs an ORDER BY over a UNION ALL of rowid-ordered arms as
 * a merge (no temporary sort), and stops at LIMIT. Binds: afterSeq three times, then the limit.
 */
const mergedAfter = (where: string): string => `${[0, 1, 2].map((p) => `${selectFrom(p)} WHERE seq > ?${where}`).join(' UNION ALL ')} ORDER BY seq LIMIT ?`;

/**
 * Every statement that runs per record or per commit, or on the sync's hot path. None may SCAN a
 * records table: test/unit/buffer-query-plan.test.ts runs EXPLAIN QUERY PLAN on all of them.
 *
 * Why seq is assigned from meta.next_seq rather than left to SQLite: a plain INTEGER PRIMARY KEY
 * hands out max(rowid) + 1, so once the top rows are released or evicted their seqs would be given
 * again, and the relay would take new records for duplicates (docs/storage.md#sequence-numbers); and
 * with three tables it could not be unique across them anyway. AUTOINCREMENT would update
 * sqlite_sequence on every insert; the counter does it with one UPDATE per group commit, in the
 * same transaction as the rows, so a crash keeps both or neither.
 */
/**
 * Rows of one multi-row insert: a group commit of many records binds them INSERT_ROWS at a time,
 * one statement step instead of one per record (issue 18). 13 columns × 32 rows = 416 parameters,
 * far below SQLite's limit (32,766 since 3.32).
 */
export const INSERT_ROWS = 32;
const ROW_PARAMS = '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)';

export const RECORD_SQL = {
  insert: perTable((t) => `INSERT INTO ${t} (${STORED}) VALUES ${ROW_PARAMS}`),
  insertMany: perTable((t) => `INSERT INTO ${t} (${STORED}) VALUES ${Array.from({ length: INSERT_ROWS }, () => ROW_PARAMS).join(', ')}`),
  readAfter: mergedAfter(''),
  readReadingsAfter: mergedAfter(' AND kind = 0'),
  // The literal `kind = 1` is what lets SQLite use the partial indexes *_alarms.
  readAlarmsAfter: mergedAfter(' AND kind = 1'),
  releaseUpTo: perTable((t) => `DELETE FROM ${t} WHERE seq <= ?`),
  releaseOne: perTable((t) => `DELETE FROM ${t} WHERE seq = ?`),
  // `seq > ?` (bound to the protected floor, eviction.ts) makes the walk from the oldest row a rowid range search that stops at LIMIT.
  evictOldest: perTable((t) => `DELETE FROM ${t} WHERE seq IN (SELECT seq FROM ${t} WHERE seq > ? ORDER BY seq LIMIT ?)`),
  // Records stamped clockUnsynced keep their ts but are not aged out by it: their ts may be 1970 on
  // a Pi without an RTC, and evicting them at once would lose exactly what mono/bootId can repair.
  // Binds: the protected floor (seqs at or below it may be at the relay, eviction.ts), the cutoff, the limit.
  evictAged: perTable(
    (t) => `DELETE FROM ${t} WHERE seq IN (SELECT seq FROM ${t} WHERE seq > ? AND ts < ? AND (flags & ${RECORD_FLAGS.clockUnsynced}) = 0 LIMIT ?)`,
  ),
  // The lowest seq held of each priority: a rowid range search that stops at the first row.
  minSeq: perTable((t) => `SELECT seq FROM ${t} WHERE seq > 0 ORDER BY seq LIMIT 1`),
  oldestTs: `SELECT min(m) FROM (${perTable((t) => `SELECT min(ts) AS m FROM ${t}`).join(' UNION ALL ')})`,
} as const;

const LATEST_COLUMNS = 'seq, kind, device, channel, value, unit, quality, exception, ts, mono, boot, priority, flags';
const ALARM_STATE_COLUMNS = 'device, channel, rule, level, state, threshold, value, ts, seq';

/**
 * Per-commit upserts of the tables that outlive the records (release and eviction never touch them),
 * in the same transaction as the records that change them. EXPLAIN QUERY PLAN-checked like
 * RECORD_SQL. The seq guard keeps an older record from overwriting a newer state.
 */
export const STATE_SQL = {
  // write.ts runs it for readings only: an alarm record must not stand in for a channel's last reading.
  upsertLatest: `INSERT INTO latest (${LATEST_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (device, channel) DO UPDATE SET
         seq = excluded.seq, kind = excluded.kind, value = excluded.value, unit = excluded.unit,
         quality = excluded.quality, exception = excluded.exception, ts = excluded.ts,
         mono = excluded.mono, boot = excluded.boot, priority = excluded.priority, flags = excluded.flags
       WHERE excluded.seq > latest.seq`,
  upsertAlarmState: `INSERT INTO alarm_state (${ALARM_STATE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (device, channel, rule) DO UPDATE SET
         level = excluded.level, state = excluded.state, threshold = excluded.threshold,
         value = excluded.value, ts = excluded.ts, seq = excluded.seq
       WHERE excluded.seq > alarm_state.seq`,
  // Per MQTT ingest message that carries a device seq, in the transaction of its records.
  upsertDeviceSeq: 'INSERT INTO device_seq (stream, seq) VALUES (?, ?) ON CONFLICT (stream) DO UPDATE SET seq = excluded.seq',
} as const;

type InsertRow = [...RecordColumns, flags: number, alarm: string | null];
type LatestRow = [...RecordColumns, priority: number, flags: number];

export interface Statements extends NameStatements {
  readonly insert: PerPriority<Statement<InsertRow>>;
  /** INSERT_ROWS rows at once: the columns of InsertRow, row after row, in one flat array. */
  readonly insertMany: PerPriority<Statement<[unknown[]]>>;
  readonly readAfter: Statement<[number, number, number, number]>;
  readonly readReadingsAfter: Statement<[number, number, number, number]>;
  readonly readAlarmsAfter: Statement<[number, number, number, number]>;
  readonly releaseUpTo: PerPriority<Statement<[number]>>;
  readonly releaseOne: PerPriority<Statement<[number]>>;
  readonly evictOldest: PerPriority<Statement<[number, number]>>;
  readonly evictAged: PerPriority<Statement<[number, number, number]>>;
  readonly minSeq: PerPriority<Statement<[]>>;
  readonly oldestTs: Statement<[]>;
  readonly maxSeq: Statement<[]>;
  /** 1 when a committed record with this seq is still held (not released or evicted), else 0. */
  readonly holds: Statement<[number, number, number]>;
  /** Only at start() (and after a failed eviction): a full pass, after which the count is kept in memory. */
  readonly count: Statement<[]>;
  readonly getNextSeq: Statement<[]>;
  readonly setNextSeq: Statement<[number]>;
  /** Other meta values (the eviction floors of eviction.ts); key is the primary key. */
  readonly getMeta: Statement<[string]>;
  readonly setMeta: Statement<[string, number]>;
  readonly upsertLatest: Statement<LatestRow>;
  /** Rows shaped as codec.ts RecordRow (alarm always NULL). */
  readonly latest: Statement<[]>;
  readonly upsertAlarmState: Statement<AlarmStateRow>;
  /** Rows shaped as codec.ts AlarmStateRow; a few per alarm rule, so the sort is cheap. */
  readonly alarmStates: Statement<[]>;
  readonly upsertDeviceSeq: Statement<[string, number]>;
  /** The stored device seq of one ingest stream, or undefined. */
  readonly deviceSeq: Statement<[string]>;
  readonly addEvicted: Statement<[number, number]>;
  readonly evicted: Statement<[]>;
  /** Used pages × page size, read from the database header: O(1), cheap enough for every commit. */
  readonly usedBytes: Statement<[]>;
}

/** Prepared once at start(); better-sqlite3 re-prepares transparently if the schema changes. */
export function prepareStatements(db: Database): Statements {
  const raw = <P extends unknown[]>(sql: string): Statement<P> => db.prepare<P>(sql).raw(true);
  const pluck = <P extends unknown[]>(sql: string): Statement<P> => db.prepare<P>(sql).pluck(true);
  const each = <P extends unknown[]>(sqls: PerPriority<string>): PerPriority<Statement<P>> => [
    db.prepare<P>(sqls[0]),
    db.prepare<P>(sqls[1]),
    db.prepare<P>(sqls[2]),
  ];
  const overAll = (expr: string, combine: string): string =>
    `SELECT ${combine}(v) FROM (${perTable((t) => `SELECT ${expr} AS v FROM ${t}`).join(' UNION ALL ')})`;
  return {
    insert: each(RECORD_SQL.insert),
    insertMany: each(RECORD_SQL.insertMany),
    readAfter: raw(RECORD_SQL.readAfter),
    readReadingsAfter: raw(RECORD_SQL.readReadingsAfter),
    readAlarmsAfter: raw(RECORD_SQL.readAlarmsAfter),
    releaseUpTo: each(RECORD_SQL.releaseUpTo),
    releaseOne: each(RECORD_SQL.releaseOne),
    evictOldest: each(RECORD_SQL.evictOldest),
    evictAged: each(RECORD_SQL.evictAged),
    minSeq: [pluck(RECORD_SQL.minSeq[0]), pluck(RECORD_SQL.minSeq[1]), pluck(RECORD_SQL.minSeq[2])],
    oldestTs: pluck(RECORD_SQL.oldestTs),
    maxSeq: pluck(overAll('max(seq)', 'max')),
    // Alarms first: the pager asks about alarm records. Three primary-key lookups at most.
    holds: pluck(`SELECT EXISTS (SELECT 1 FROM ${RECORD_TABLES[2]} WHERE seq = ?) OR EXISTS (SELECT 1 FROM ${RECORD_TABLES[1]} WHERE seq = ?)
                   OR EXISTS (SELECT 1 FROM ${RECORD_TABLES[0]} WHERE seq = ?)`),
    count: pluck(overAll('count(*)', 'sum')),
    getNextSeq: pluck("SELECT value FROM meta WHERE key = 'next_seq'"),
    setNextSeq: db.prepare("UPDATE meta SET value = ? WHERE key = 'next_seq'"),
    getMeta: pluck('SELECT value FROM meta WHERE key = ?'),
    setMeta: db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value'),
    upsertLatest: db.prepare<LatestRow>(STATE_SQL.upsertLatest),
    latest: raw(`SELECT ${LATEST_COLUMNS}, NULL AS alarm FROM latest ORDER BY seq`),
    upsertAlarmState: db.prepare<AlarmStateRow>(STATE_SQL.upsertAlarmState),
    alarmStates: raw(`SELECT ${ALARM_STATE_COLUMNS} FROM alarm_state ORDER BY seq`),
    upsertDeviceSeq: db.prepare<[string, number]>(STATE_SQL.upsertDeviceSeq),
    deviceSeq: pluck<[string]>('SELECT seq FROM device_seq WHERE stream = ?'),
    addEvicted: db.prepare('UPDATE evictions SET count = count + ? WHERE priority = ?'),
    evicted: raw('SELECT priority, count FROM evictions'),
    insertName: db.prepare('INSERT INTO names (name) VALUES (?)'),
    names: raw('SELECT id, name FROM names'),
    usedBytes: pluck(
      `SELECT ((SELECT page_count FROM pragma_page_count()) - (SELECT freelist_count FROM pragma_freelist_count()))
              * (SELECT page_size FROM pragma_page_size())`,
    ),
  };
}
