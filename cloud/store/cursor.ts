/**
 * Keyset paging of queryRecords, shared by both backends: records come ordered by
 * (record_time, gateway, seq), record_time = COALESCE(ts_corrected, ts), and a page ends with an
 * opaque cursor holding the last key, so the next page starts strictly after it. Unlike OFFSET, a
 * page costs the same however deep it is, and rows committed meanwhile neither repeat nor shift
 * the pages (docs/storage.md#keyset-pagination).
 */

import { invalidCursor, invalidQuery } from './errors.ts';
import { kindLiteral } from './records-codec.ts';
import { RECORD_COLUMNS } from './rows.ts';
import type { ReadingsQuery, RelayRecord } from './types.ts';

/** Most records one page may return. */
export const MAX_PAGE = 10_000;

export interface RecordKey {
  readonly time: number;
  readonly gateway: string;
  readonly seq: number;
}

export function keyOf(record: RelayRecord): RecordKey {
  return { time: record.tsCorrected ?? record.ts, gateway: record.gateway, seq: record.seq };
}

/** base64url of JSON `[time, gateway, seq]`: opaque to clients, and safe in a query string. */
export function encodeCursor(key: RecordKey): string {
  return Buffer.from(JSON.stringify([key.time, key.gateway, key.seq]), 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): RecordKey {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalidCursor();
  }
  if (!Array.isArray(parsed) || parsed.length !== 3) throw invalidCursor();
  const [time, gateway, seq] = parsed as unknown[];
  if (!Number.isSafeInteger(time) || typeof gateway !== 'string' || !Number.isSafeInteger(seq)) throw invalidCursor();
  return { time: time as number, gateway, seq: seq as number };
}

export interface RecordQuerySql {
  /** Which filters are present: one prepared statement per shape. */
  readonly shape: string;
  readonly sql: string;
  readonly params: ReadonlyArray<string | number>;
}

/**
 * The SELECT for one page, asking for limit + 1 rows: the extra row only says whether a next page
 * exists. `placeholder(n)` renders the n-th (1-based) bind parameter: `?` for SQLite, `$n` for
 * PostgreSQL. With a gateway filter every row has the same gateway, so the cursor's tie-break
 * needs only seq.
 */
export function recordQuerySql(
  query: ReadingsQuery,
  placeholder: (n: number) => string,
  dialect: 'sqlite' | 'postgres' = 'sqlite',
  select: string = RECORD_COLUMNS,
): RecordQuerySql {
  checkQuery(query);
  const where: string[] = [];
  const params: Array<string | number> = [];
  let shape = '';
  const bind = (value: string | number): string => {
    params.push(value);
    return placeholder(params.length);
  };
  // Records v2 on SQLite (migrations-records-v2.ts) has two full-width indexes: a channel's series
  // (gateway, device, channel, record_time) and the time index (record_time, gateway, seq). A
  // gateway's page without a series is merged from its series (gateway-page.ts); any other filter by
  // gateway, device or channel is checked on the rows of an ordered walk of the time index (or of the
  // gateway's alarm index), written with unary + so the planner does not take the primary key's
  // gateway range and sort all of it instead (test/unit/store-sqlite-plan.test.ts).
  const series = query.gateway !== undefined && query.device !== undefined && query.channel !== undefined;
  const gatewayAlarms = query.gateway !== undefined && query.kind === 'alarm';
  const walk = dialect === 'sqlite' && !series && !gatewayAlarms ? '+' : '';
  if (query.gateway !== undefined) {
    where.push(`${walk}gateway = ${bind(query.gateway)}`);
    shape += 'g';
  }
  if (query.device !== undefined) {
    where.push(`${walk}device = ${bind(query.device)}`);
    shape += 'd';
  }
  if (query.channel !== undefined) {
    where.push(`${walk}channel = ${bind(query.channel)}`);
    shape += 'c';
  }
  if (query.org !== undefined) {
    // Issue 15: the organization's gateways (index gateways_org, a few thousand at most) as a list
    // the records' own indexes are probed or filtered with; records need no organization column.
    // On SQLite, unary + keeps the planner from turning the list into one probe per gateway of
    // the primary key followed by a sort of all their rows: the page still walks the index chosen
    // above in order and stops at LIMIT (test/unit/org-plan.test.ts).
    // PostgreSQL (no unary + on text) weighs both with its statistics.
    const listed = dialect === 'sqlite' ? '+' : '';
    where.push(`${listed}gateway IN (SELECT id FROM gateways WHERE org_id = ${bind(query.org)})`);
    shape += 'o';
  }
  if (query.kind !== undefined) {
    // A literal, not a parameter: SQLite uses a partial index only when the query's WHERE names its
    // condition literally (docs/storage.md#partial-indexes). kind was checked above.
    where.push(`kind = ${kindLiteral(query.kind, dialect)}`);
    shape += query.kind === 'alarm' ? 'A' : 'R';
  }
  // One lower bound on record_time, whichever of `from` and the cursor is later: given two, SQLite
  // bounds the index range by one and filters by the other, and a deep page would walk every row
  // of the pages before it. The cursor's tie-break on (gateway, seq) is a filter on the rows of its
  // one record_time, so both bounds of the time range stay index bounds.
  const key = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
  if (key !== undefined && (query.from === undefined || key.time >= query.from)) {
    const from = bind(key.time);
    const later = bind(key.time);
    const after = query.gateway !== undefined ? `seq > ${bind(key.seq)}` : `(gateway, seq) > (${bind(key.gateway)}, ${bind(key.seq)})`;
    where.push(`record_time >= ${from} AND (record_time > ${later} OR ${after})`);
    shape += 'k';
  } else if (query.from !== undefined) {
    where.push(`record_time >= ${bind(query.from)}`);
    shape += 'f';
  }
  if (query.to !== undefined) {
    where.push(`record_time < ${bind(query.to)}`);
    shape += 't';
  }
  const filter = where.length === 0 ? '' : ` WHERE ${where.join(' AND ')}`;
  const sql = `SELECT ${select} FROM records${filter} ORDER BY record_time, gateway, seq LIMIT ${bind(query.limit + 1)}`;
  return { shape, sql, params };
}

/** Splits the limit + 1 rows of a page into the page and the cursor of the next one. */
export function toPage(rows: RelayRecord[], limit: number): { items: RelayRecord[]; next: string | null } {
  if (rows.length <= limit) return { items: rows, next: null };
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return { items, next: last === undefined ? null : encodeCursor(keyOf(last)) };
}

function checkQuery(query: ReadingsQuery): void {
  if (!Number.isInteger(query.limit) || query.limit < 1 || query.limit > MAX_PAGE) throw invalidQuery(`limit must be an integer in 1..${MAX_PAGE}`);
  if (query.kind !== undefined && query.kind !== 'reading' && query.kind !== 'alarm') throw invalidQuery('kind must be reading or alarm');
  for (const [name, bound] of [
    ['from', query.from],
    ['to', query.to],
  ] as const) {
    if (bound !== undefined && !Number.isSafeInteger(bound)) throw invalidQuery(`${name} must be an integer number of ms`);
  }
}
