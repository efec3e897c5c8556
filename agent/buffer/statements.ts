import type { Database, Statement } from 'better-sqlite3';
import { RECORD_FLAGS } from '../../protocols/records.ts';
import type { NewRecord, Quality, RecordKind, StoredRecord } from '../../protocols/records.ts';
import { invalidRecord } from './errors.ts';
import type { BufferError } from './errors.ts';

/** Table of each priority (index = PRIORITY value); see migrations.ts for why they are apart. */
export const RECORD_TABLES = ['records_ordinary', 'records_dga', 'records_alarm'] as const;
type PerPriority<T> = readonly [T, T, T];

/** Stored columns, in the order inserts bind them. */
const STORED = 'seq, kind, device, channel, value, unit, quality, exception, ts, mono, boot, flags';
/** What reads return: the stored columns with the priority (implied by the table) before flags. */
const selectFrom = (priority: number): string =>
  `SELECT seq, kind, device, channel, value, unit, quality, exception, ts, mono, boot, ${priority} AS priority, flags FROM ${RECORD_TABLES[priority]}`;
const perTable = (make: (table: string, priority: number) => string): PerPriority<string> =>
  [make(RECORD_TABLES[0], 0), make(RECORD_TABLES[1], 1), make(RECORD_TABLES[2], 2)];
/**
 * The three tables merged by seq: SQLite runs an ORDER BY over a UNION ALL of rowid-ordered arms as
 * a merge (no temporary sort), and stops at LIMIT. Binds: afterSeq three times, then the limit.
 */
const mergedAfter = (where: string): string =>
  `${[0, 1, 2].map((p) => `${selectFrom(p)} WHERE seq > ?${where}`).join(' UNION ALL ')} ORDER BY seq LIMIT ?`;

/**
 * Every statement that runs per record or per commit, or on the sync's hot path. None may SCAN a
 * records table: test/unit/buffer-query-plan.test.ts runs EXPLAIN QUERY PLAN on all of them.
 *
 * Why seq is assigned from meta.next_seq rather than left to SQLite: a plain INTEGER PRIMARY KEY
 * hands out max(rowid) + 1, so once the top rows are released or evicted their seqs would be given
 * again, and the relay would take new records for duplicates (https://sqlite.org/autoinc.html); and
 * with three tables it could not be unique across them anyway. AUTOINCREMENT would update
 * sqlite_sequence on every insert; the counter does it with one UPDATE per group commit, in the
 * same transaction as the rows, so a crash keeps both or neither.
 */
export const RECORD_SQL = {
  insert: perTable((t) => `INSERT INTO ${t} (${STORED}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
  readAfter: mergedAfter(''),
  readReadingsAfter: mergedAfter(' AND kind = 0'),
  // The literal `kind = 1` is what lets SQLite use the partial indexes *_alarms.
  readAlarmsAfter: mergedAfter(' AND kind = 1'),
  releaseUpTo: perTable((t) => `DELETE FROM ${t} WHERE seq <= ?`),
  releaseOne: perTable((t) => `DELETE FROM ${t} WHERE seq = ?`),
  // `seq > ?` (bound to 0) makes the walk from the oldest row a rowid range search that stops at LIMIT.
  evictOldest: perTable((t) => `DELETE FROM ${t} WHERE seq IN (SELECT seq FROM ${t} WHERE seq > ? ORDER BY seq LIMIT ?)`),
  // Records stamped clockUnsynced keep their ts but are not aged out by it: their ts may be 1970 on
  // a Pi without an RTC, and evicting them at once would lose exactly what mono/bootId can repair.
  evictAged: perTable(
    (t) => `DELETE FROM ${t} WHERE seq IN (SELECT seq FROM ${t} WHERE ts < ? AND (flags & ${RECORD_FLAGS.clockUnsynced}) = 0 LIMIT ?)`,
  ),
  oldestTs: `SELECT min(m) FROM (${perTable((t) => `SELECT min(ts) AS m FROM ${t}`).join(' UNION ALL ')})`,
} as const;

/** A read row: the columns of selectFrom(). */
export type RecordRow = [
  seq: number,
  kind: number,
  device: number,
  channel: number,
  value: number | null,
  unit: number,
  quality: number,
  exception: number | null,
  ts: number,
  mono: number,
  boot: number,
  priority: number,
  flags: number,
];
type InsertRow = [
  seq: number,
  kind: number,
  device: number,
  channel: number,
  value: number | null,
  unit: number,
  quality: number,
  exception: number | null,
  ts: number,
  mono: number,
  boot: number,
  flags: number,
];

export interface Statements {
  readonly insert: PerPriority<Statement<InsertRow>>;
  readonly readAfter: Statement<[number, number, number, number]>;
  readonly readReadingsAfter: Statement<[number, number, number, number]>;
  readonly readAlarmsAfter: Statement<[number, number, number, number]>;
  readonly releaseUpTo: PerPriority<Statement<[number]>>;
  readonly releaseOne: PerPriority<Statement<[number]>>;
  readonly evictOldest: PerPriority<Statement<[number, number]>>;
  readonly evictAged: PerPriority<Statement<[number, number]>>;
  readonly oldestTs: Statement<[]>;
  readonly maxSeq: Statement<[]>;
  /** Only at start() (and after a failed eviction): a full pass, after which the count is kept in memory. */
  readonly count: Statement<[]>;
  readonly getNextSeq: Statement<[]>;
  readonly setNextSeq: Statement<[number]>;
  readonly upsertLatest: Statement<RecordRow>;
  readonly latest: Statement<[]>;
  readonly addEvicted: Statement<[number, number]>;
  readonly evicted: Statement<[]>;
  readonly insertName: Statement<[string]>;
  readonly names: Statement<[]>;
  /** Used pages × page size, read from the database header: O(1), cheap enough for every commit. */
  readonly usedBytes: Statement<[]>;
}

/** Prepared once at start(); better-sqlite3 re-prepares transparently if the schema changes. */
export function prepareStatements(db: Database): Statements {
  const raw = <P extends unknown[]>(sql: string): Statement<P> => db.prepare<P>(sql).raw(true);
  const pluck = <P extends unknown[]>(sql: string): Statement<P> => db.prepare<P>(sql).pluck(true);
  const each = <P extends unknown[]>(sqls: PerPriority<string>): PerPriority<Statement<P>> =>
    [db.prepare<P>(sqls[0]), db.prepare<P>(sqls[1]), db.prepare<P>(sqls[2])];
  const overAll = (expr: string, combine: string): string =>
    `SELECT ${combine}(v) FROM (${perTable((t) => `SELECT ${expr} AS v FROM ${t}`).join(' UNION ALL ')})`;
  const latestColumns = 'seq, kind, device, channel, value, unit, quality, exception, ts, mono, boot, priority, flags';
  return {
    insert: each(RECORD_SQL.insert),
    readAfter: raw(RECORD_SQL.readAfter),
    readReadingsAfter: raw(RECORD_SQL.readReadingsAfter),
    readAlarmsAfter: raw(RECORD_SQL.readAlarmsAfter),
    releaseUpTo: each(RECORD_SQL.releaseUpTo),
    releaseOne: each(RECORD_SQL.releaseOne),
    evictOldest: each(RECORD_SQL.evictOldest),
    evictAged: each(RECORD_SQL.evictAged),
    oldestTs: pluck(RECORD_SQL.oldestTs),
    maxSeq: pluck(overAll('max(seq)', 'max')),
    count: pluck(overAll('count(*)', 'sum')),
    getNextSeq: pluck("SELECT value FROM meta WHERE key = 'next_seq'"),
    setNextSeq: db.prepare("UPDATE meta SET value = ? WHERE key = 'next_seq'"),
    upsertLatest: db.prepare<RecordRow>(
      `INSERT INTO latest (${latestColumns}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (device, channel) DO UPDATE SET
         seq = excluded.seq, kind = excluded.kind, value = excluded.value, unit = excluded.unit,
         quality = excluded.quality, exception = excluded.exception, ts = excluded.ts,
         mono = excluded.mono, boot = excluded.boot, priority = excluded.priority, flags = excluded.flags
       WHERE excluded.seq > latest.seq`,
    ),
    latest: raw(`SELECT ${latestColumns} FROM latest ORDER BY seq`),
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

/**
 * On-disk codes. Fixed here, not taken from the order of RECORD_KINDS/QUALITIES, so reordering
 * those lists can never change what an existing file means.
 */
export const KIND_CODE: Readonly<Record<RecordKind, number>> = { reading: 0, alarm: 1 };
export const QUALITY_CODE: Readonly<Record<Quality, number>> = { good: 0, comm_error: 1, exception: 2, out_of_range: 3, sensor_fault: 4 };
const KIND_BY_CODE = invert(KIND_CODE);
const QUALITY_BY_CODE = invert(QUALITY_CODE);

/**
 * Cheap shape check at append(), so one bad record rejects its own append instead of failing the
 * group commit it would share with other callers. Returns the first problem, or undefined.
 */
export function checkRecords(records: readonly NewRecord[]): BufferError | undefined {
  for (let i = 0; i < records.length; i++) {
    const r = records[i];
    if (r === undefined || r === null || typeof r !== 'object') return invalidRecord(i, 'record');
    if (typeof KIND_CODE[r.kind] !== 'number') return invalidRecord(i, 'kind');
    if (typeof QUALITY_CODE[r.quality] !== 'number') return invalidRecord(i, 'quality');
    if (typeof r.device !== 'string') return invalidRecord(i, 'device');
    if (typeof r.channel !== 'string') return invalidRecord(i, 'channel');
    if (typeof r.unit !== 'string') return invalidRecord(i, 'unit');
    if (typeof r.bootId !== 'string') return invalidRecord(i, 'bootId');
    // SQLite stores NaN as NULL and the sync's JSON cannot carry ±Infinity.
    if (r.value !== null && !Number.isFinite(r.value)) return invalidRecord(i, 'value');
    if (r.exception !== null && !Number.isSafeInteger(r.exception)) return invalidRecord(i, 'exception');
    if (!Number.isSafeInteger(r.ts)) return invalidRecord(i, 'ts');
    if (!Number.isSafeInteger(r.mono)) return invalidRecord(i, 'mono');
    if (r.priority !== 0 && r.priority !== 1 && r.priority !== 2) return invalidRecord(i, 'priority');
    if (!Number.isSafeInteger(r.flags) || r.flags < 0) return invalidRecord(i, 'flags');
  }
  return undefined;
}

/**
 * Interned strings (device, channel, unit, boot id) ↔ ids. Names added during a commit are
 * tentative until the transaction commits: a rolled-back commit must not leave ids in the cache
 * that the file does not have.
 */
export class NameTable {
  private readonly ids = new Map<string, number>();
  private readonly byId: string[] = [];
  private tentative: string[] = [];

  constructor(private readonly statements: Statements) {}

  load(): void {
    this.ids.clear();
    this.byId.length = 0;
    for (const [id, name] of this.statements.names.all() as [number, string][]) {
      this.ids.set(name, id);
      this.byId[id] = name;
    }
  }

  /** Inside a write transaction only. */
  id(name: string): number {
    const id = this.ids.get(name);
    return id === undefined ? this.add(name) : id;
  }

  name(id: number): string {
    const name = this.byId[id];
    if (name !== undefined) return name;
    this.load();
    // Only a damaged file gets here; a visible placeholder beats failing every read after it.
    return this.byId[id] ?? `#${id}`;
  }

  commit(): void {
    this.tentative = [];
  }

  rollback(): void {
    for (const name of this.tentative) {
      const id = this.ids.get(name);
      this.ids.delete(name);
      if (id !== undefined) delete this.byId[id];
    }
    this.tentative = [];
  }

  private add(name: string): number {
    const id = Number(this.statements.insertName.run(name).lastInsertRowid);
    this.ids.set(name, id);
    this.byId[id] = name;
    this.tentative.push(name);
    return id;
  }
}

export function decodeRow(row: RecordRow, names: NameTable): StoredRecord {
  return {
    seq: row[0],
    kind: KIND_BY_CODE[row[1]] as RecordKind,
    device: names.name(row[2]),
    channel: names.name(row[3]),
    value: row[4],
    unit: names.name(row[5]),
    quality: QUALITY_BY_CODE[row[6]] as Quality,
    exception: row[7],
    ts: row[8],
    mono: row[9],
    bootId: names.name(row[10]),
    priority: row[11] as StoredRecord['priority'],
    flags: row[12],
  };
}

function invert<K extends string>(codes: Readonly<Record<K, number>>): K[] {
  const out: K[] = [];
  for (const [key, code] of Object.entries(codes) as [K, number][]) out[code] = key;
  return out;
}
