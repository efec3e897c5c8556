/**
 * The body of POST /v1/ingest: gzip (RFC 1952) of UTF-8 JSON in a columnar layout, version 1:
 *
 *   { "v": 1, "gateway", "sentAt", "mono", "bootId", "clockSynced",   batch fields as in SyncBatch
 *     "n": record count,
 *     "tables": { "device": [..], "channel": [..], "unit": [..], "bootId": [..], "rule": [..] },
 *     "cols": { one array of n entries per field, record i at index i:
 *       "seq", "ts", "mono": difference from record i-1 (record 0: from 0); negative allowed,
 *                            as alarms may precede older readings,
 *       "device", "channel", "unit", "bootId": index into the table of the same name,
 *       "kind": KIND_CODES index, "quality": QUALITY_CODES index,
 *       "value": number | null | "-0", "exception": number | null, "priority", "flags" },
 *     "alarms": [[record index, rule index, LEVEL_CODES index, STATE_CODES index, threshold], ..]
 *               ascending record index; alarm records without detail have no entry }
 *
 * Numbers are JSON numbers (the shortest text that reads back as the same double); -0, which
 * JSON cannot write, is the string "-0". Steady polling makes each column repetitive (deltas of
 * 0 and ~1000, index cycles with the poll period), which gzip reduces to ~1 byte per reading.
 *
 * Decoding trusts nothing: inflated size and record count are bounded before any work scales
 * with them, unknown keys are refused (so `__proto__` is just an error), every index must be in
 * range, every table entry used. The batch fields go through zod (schemas.ts); every record, on
 * both sides, goes through the one record check (protocols/records-check.ts, via batch-checks.ts),
 * so encodeBatch refuses exactly the records decodeBatch would. Columns are checked for their
 * types in plain loops, as zod over every column entry and every rebuilt record took nine tenths
 * of the decoding time (test/unit/sync-batch-checks.test.ts holds the whole to the schemas'
 * verdicts).
 */
import zlib from 'node:zlib';
import { z } from 'zod';
import type { ALARM_LEVELS, ALARM_STATES, AlarmDetail, QUALITIES, RECORD_KINDS, StoredRecord } from '../records.ts';
import { checkRecord, SeqOrder } from './batch-checks.ts';
import { malformed, tooLarge } from './errors.ts';
import { firstIssue, syncBatchSchema } from './schemas.ts';
import type { SyncBatch } from './types.ts';

export const WIRE_VERSION = 1;
/** Records per batch decodeBatch accepts unless told otherwise. */
export const DEFAULT_MAX_RECORDS = 10_000;
/** Inflated body bytes decodeBatch accepts unless told otherwise (gzip bombs inflate ~1000:1). */
export const DEFAULT_MAX_INFLATED_BYTES = 64 * 2 ** 20;
/** zlib level 1–9: 9 is a few % smaller than 6 on this data and still fast (see test/bench/sync-wire.ts). */
const GZIP_LEVEL = 9;

/** Wire codes, fixed here rather than taken from the order of the lists in records.ts, so reordering those never changes what a body means. */
const KIND_CODES = ['reading', 'alarm'] as const satisfies readonly (typeof RECORD_KINDS)[number][];
const QUALITY_CODES = ['good', 'comm_error', 'exception', 'out_of_range', 'sensor_fault'] as const satisfies readonly (typeof QUALITIES)[number][];
const LEVEL_CODES = ['warning', 'alarm'] as const satisfies readonly (typeof ALARM_LEVELS)[number][];
const STATE_CODES = ['raised', 'cleared', 'acknowledged', 'paged'] as const satisfies readonly (typeof ALARM_STATES)[number][];

const TABLES = ['device', 'channel', 'unit', 'bootId', 'rule'] as const;
type TableName = (typeof TABLES)[number];

type WireDouble = number | null | '-0';
type Check = readonly [valid: (v: unknown) => boolean, expected: string];
const INTEGER: Check = [Number.isSafeInteger, 'expected an integer'];
const INDEX: Check = [(v) => Number.isSafeInteger(v) && (v as number) >= 0, 'expected an integer ≥ 0'];
/** As zod's number(), refuses ±Infinity, which JSON.parse makes of 1e999. */
const DOUBLE: Check = [(v) => (typeof v === 'number' ? Number.isFinite(v) : v === null || v === '-0'), 'expected a finite number, null or "-0"'];
const EXCEPTION: Check = [(v) => v === null || Number.isSafeInteger(v), 'expected an integer or null'];
/** What each column holds, checked in this order (the layout's) by checkColumns in plain loops. */
const COLUMNS = {
  seq: INTEGER,
  ts: INTEGER,
  mono: INTEGER,
  kind: INDEX,
  device: INDEX,
  channel: INDEX,
  unit: INDEX,
  bootId: INDEX,
  value: DOUBLE,
  quality: INDEX,
  exception: EXCEPTION,
  priority: INTEGER,
  flags: INTEGER,
};
type ColumnName = keyof typeof COLUMNS;
type WireCols = Record<Exclude<ColumnName, 'value' | 'exception'>, number[]> & { value: WireDouble[]; exception: Array<number | null> };

const index = z.number().int().min(0);
const wireDouble = z.union([z.number(), z.null(), z.literal('-0')], { error: DOUBLE[1] });
const column = z.custom<unknown[]>((v) => Array.isArray(v), { error: 'expected an array' });
const batchFields = syncBatchSchema.shape;
const batchFieldsSchema = z.strictObject({
  gateway: batchFields.gateway,
  sentAt: batchFields.sentAt,
  mono: batchFields.mono,
  bootId: batchFields.bootId,
  clockSynced: batchFields.clockSynced,
});
const wireSchema = z.strictObject({
  v: z.literal(WIRE_VERSION),
  gateway: batchFields.gateway,
  sentAt: batchFields.sentAt,
  mono: batchFields.mono,
  bootId: batchFields.bootId,
  clockSynced: batchFields.clockSynced,
  n: index,
  tables: z.strictObject({
    device: z.array(z.string()),
    channel: z.array(z.string()),
    unit: z.array(z.string()),
    bootId: z.array(z.string()),
    rule: z.array(z.string()),
  }),
  cols: z.strictObject(Object.fromEntries(Object.keys(COLUMNS).map((name) => [name, column])) as Record<ColumnName, typeof column>),
  alarms: z.array(z.tuple([index, index, index, index, wireDouble])),
});
type Wire = Omit<z.output<typeof wireSchema>, 'cols'> & { cols: WireCols };

export interface DecodeLimits {
  /** Most records accepted (default DEFAULT_MAX_RECORDS); more is ATALAYA_SYNC_TOO_LARGE. */
  readonly maxRecords?: number;
  /** Most bytes the body may inflate to (default DEFAULT_MAX_INFLATED_BYTES); more is ATALAYA_SYNC_TOO_LARGE. */
  readonly maxInflatedBytes?: number;
}

/** gzip of the v1 JSON layout above. Throws ATALAYA_SYNC_MALFORMED for a batch decodeBatch would refuse. */
export function encodeBatch(batch: SyncBatch): Buffer {
  const { gateway, sentAt, mono: batchMono, bootId, clockSynced, records } = batch;
  const checked = batchFieldsSchema.safeParse({ gateway, sentAt, mono: batchMono, bootId, clockSynced });
  if (!checked.success) throw malformed(firstIssue(checked.error));
  if (!Array.isArray(records)) throw malformed('records: expected an array');
  const order = new SeqOrder();
  for (let i = 0; i < records.length; i++) {
    checkRecord(records[i]!, i);
    order.check(records[i]!, i);
  }
  const tables = new Map<TableName, Map<string, number>>(TABLES.map((t) => [t, new Map()]));
  const ref = (table: TableName, s: string): number => {
    const entries = tables.get(table)!;
    let i = entries.get(s);
    if (i === undefined) entries.set(s, (i = entries.size));
    return i;
  };
  const n = records.length;
  const cols: Wire['cols'] = {
    seq: [],
    ts: [],
    mono: [],
    kind: [],
    device: [],
    channel: [],
    unit: [],
    bootId: [],
    value: [],
    quality: [],
    exception: [],
    priority: [],
    flags: [],
  };
  const alarms: Wire['alarms'] = [];
  let seq = 0;
  let ts = 0;
  let mono = 0;
  for (let i = 0; i < n; i++) {
    const r = records[i]!;
    cols.seq.push(r.seq - seq);
    cols.ts.push(r.ts - ts);
    cols.mono.push(r.mono - mono);
    ({ seq, ts, mono } = r);
    cols.kind.push(KIND_CODES.indexOf(r.kind));
    cols.device.push(ref('device', r.device));
    cols.channel.push(ref('channel', r.channel));
    cols.unit.push(ref('unit', r.unit));
    cols.bootId.push(ref('bootId', r.bootId));
    cols.value.push(toWire(r.value));
    cols.quality.push(QUALITY_CODES.indexOf(r.quality));
    cols.exception.push(r.exception);
    cols.priority.push(r.priority);
    cols.flags.push(r.flags);
    const a = r.alarm;
    if (a !== undefined) alarms.push([i, ref('rule', a.rule), LEVEL_CODES.indexOf(a.level), STATE_CODES.indexOf(a.state), toWire(a.threshold)]);
  }
  const wire: Wire = {
    v: WIRE_VERSION,
    gateway: batch.gateway,
    sentAt: batch.sentAt,
    mono: batch.mono,
    bootId: batch.bootId,
    clockSynced: batch.clockSynced,
    n,
    tables: {
      device: [...tables.get('device')!.keys()],
      channel: [...tables.get('channel')!.keys()],
      unit: [...tables.get('unit')!.keys()],
      bootId: [...tables.get('bootId')!.keys()],
      rule: [...tables.get('rule')!.keys()],
    },
    cols,
    alarms,
  };
  return zlib.gzipSync(JSON.stringify(wire), { level: GZIP_LEVEL });
}

/** Inverse of encodeBatch; throws ATALAYA_SYNC_MALFORMED (details.reason names the first problem) or ATALAYA_SYNC_TOO_LARGE. */
export function decodeBatch(body: Uint8Array, limits: DecodeLimits = {}): SyncBatch {
  const maxRecords = limits.maxRecords ?? DEFAULT_MAX_RECORDS;
  const maxInflatedBytes = limits.maxInflatedBytes ?? DEFAULT_MAX_INFLATED_BYTES;
  let inflated: Buffer;
  try {
    inflated = zlib.gunzipSync(body, { maxOutputLength: maxInflatedBytes });
  } catch (err) {
    if ((err as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE') throw tooLarge('inflated bytes', maxInflatedBytes, err);
    throw malformed('body is not valid gzip', err);
  }
  return decodeInflated(inflated, { maxRecords });
}

/**
 * decodeBatch of a body already inflated (the relay inflates while bounding it, cloud/ingest/
 * inflate-check.ts): `inflated` must be what gunzip made of the body, within maxInflatedBytes.
 */
export function decodeInflated(inflated: Uint8Array, limits: Pick<DecodeLimits, 'maxRecords'> = {}): SyncBatch {
  const maxRecords = limits.maxRecords ?? DEFAULT_MAX_RECORDS;
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(inflated));
  } catch (err) {
    throw malformed('body is not UTF-8 JSON', err);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw malformed('(root): expected a JSON object');
  // Refuse on the declared count before validating columns whose length scales with it.
  const declared = (json as { n?: unknown }).n;
  if (typeof declared === 'number' && declared > maxRecords) throw tooLarge('records', maxRecords);
  const version = (json as { v?: unknown }).v;
  if (version !== WIRE_VERSION) {
    throw malformed(`v: unsupported version ${typeof version === 'number' ? version : typeof version} (this build reads ${WIRE_VERSION})`);
  }
  const parsed = wireSchema.safeParse(json);
  if (!parsed.success) throw malformed(firstIssue(parsed.error));
  const wire = parsed.data;
  return rebuild({ ...wire, cols: checkColumns(wire.cols, wire.n) });
}

/** Lengths and element types of the columns, reported as `cols.<name>[i]`. */
function checkColumns(cols: Readonly<Record<ColumnName, unknown[]>>, n: number): WireCols {
  for (const [name, [valid, expected]] of Object.entries(COLUMNS)) {
    const entries = cols[name as ColumnName];
    if (entries.length !== n) throw malformed(`cols.${name}: ${entries.length} entries for n = ${n}`);
    for (let i = 0; i < n; i++) if (!valid(entries[i])) throw malformed(`cols.${name}[${i}]: ${expected}`);
  }
  return cols as WireCols;
}

/** A string table: entries resolved by index, uses counted (the record check judges the strings). */
interface Table {
  get(at: number, record: number, field: string): string;
  /** Index of the first entry no record used, or -1. */
  firstUnused(): number;
}

function openTable(wire: Wire, name: TableName): Table {
  const entries = wire.tables[name];
  if (new Set(entries).size !== entries.length) throw malformed(`tables.${name}: duplicate entries`);
  const used = new Uint8Array(entries.length);
  return {
    get(at, record, field) {
      const s = entries[at];
      if (s === undefined) throw malformed(`records[${record}].${field}: index ${at} outside tables.${name} (${entries.length} entries)`);
      used[at] = 1;
      return s;
    },
    firstUnused: () => used.indexOf(0),
  };
}

/**
 * Records from checked columns: indexes and codes resolved, then each record through the same
 * check encodeBatch applies (batch-checks.ts): strings, ranges, alarm detail, seq order.
 */
function rebuild(wire: Wire): SyncBatch {
  const { n, cols } = wire;
  const tables = {
    device: openTable(wire, 'device'),
    channel: openTable(wire, 'channel'),
    unit: openTable(wire, 'unit'),
    bootId: openTable(wire, 'bootId'),
    rule: openTable(wire, 'rule'),
  };
  const details = alarmDetails(wire, tables.rule);
  const records: StoredRecord[] = [];
  const order = new SeqOrder();
  let nextDetail = 0;
  let seq = 0;
  let ts = 0;
  let mono = 0;
  for (let i = 0; i < n; i++) {
    seq += cols.seq[i]!;
    ts += cols.ts[i]!;
    mono += cols.mono[i]!;
    let record: StoredRecord = {
      seq,
      kind: code(KIND_CODES, cols.kind[i]!, i, 'kind'),
      device: tables.device.get(cols.device[i]!, i, 'device'),
      channel: tables.channel.get(cols.channel[i]!, i, 'channel'),
      value: fromWire(cols.value[i]!),
      unit: tables.unit.get(cols.unit[i]!, i, 'unit'),
      quality: code(QUALITY_CODES, cols.quality[i]!, i, 'quality'),
      exception: cols.exception[i]!,
      ts,
      mono,
      bootId: tables.bootId.get(cols.bootId[i]!, i, 'bootId'),
      // Checked against 0 | 1 | 2 by checkRecord.
      priority: cols.priority[i]! as StoredRecord['priority'],
      flags: cols.flags[i]!,
    };
    const detail = details[nextDetail];
    if (detail !== undefined && detail.record === i) {
      record = { ...record, alarm: detail.alarm };
      nextDetail++;
    }
    checkRecord(record, i);
    order.check(record, i);
    records.push(record);
  }
  for (const t of TABLES) {
    const unused = tables[t].firstUnused();
    if (unused !== -1) throw malformed(`tables.${t}[${unused}]: not used by any record`);
  }
  return { gateway: wire.gateway, sentAt: wire.sentAt, mono: wire.mono, bootId: wire.bootId, clockSynced: wire.clockSynced, records };
}

/** The alarm details in ascending record index, their rule, level and state resolved. */
function alarmDetails(wire: Wire, rules: Table): Array<{ readonly record: number; readonly alarm: AlarmDetail }> {
  let previous = -1;
  return wire.alarms.map(([i, ruleAt, level, state, threshold], k) => {
    if (i <= previous || i >= wire.n) throw malformed(`alarms[${k}][0]: record index ${i} not ascending within 0..${wire.n - 1}`);
    previous = i;
    const alarm: AlarmDetail = {
      rule: rules.get(ruleAt, i, 'alarm.rule'),
      level: code(LEVEL_CODES, level, i, 'alarm.level'),
      state: code(STATE_CODES, state, i, 'alarm.state'),
      threshold: fromWire(threshold),
    };
    return { record: i, alarm };
  });
}

function code<T extends string>(codes: readonly T[], at: number, record: number, field: string): T {
  const value = codes[at];
  if (value === undefined) throw malformed(`records[${record}].${field}: code ${at} is not one of 0..${codes.length - 1} (${codes.join(', ')})`);
  return value;
}

function toWire(v: number | null): WireDouble {
  return v !== null && Object.is(v, -0) ? '-0' : v;
}

function fromWire(v: WireDouble): number | null {
  return v === '-0' ? -0 : v;
}

/**
 * Rough upper bound of a record's share of the uncompressed JSON, for sizing batches without
 * encoding them: ~70 bytes of columns with long numbers, plus its strings as if new to the tables
 * (they rarely are: real bodies are 3–5× smaller, and the gzip body 20–100× smaller still).
 */
export function estimateRecordBytes(r: StoredRecord): number {
  const strings = r.device.length + r.channel.length + r.unit.length + r.bootId.length + 16;
  return 72 + strings + (r.alarm === undefined ? 0 : 48 + r.alarm.rule.length);
}
