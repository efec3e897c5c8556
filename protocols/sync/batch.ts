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
 * verdicts). The relay decodes every reading it receives, so an accepted body takes one pass
 * that checks and rebuilds at once (batch-fast.ts); a refused one then takes the exact path
 * (batch-rebuild.ts), which names its first problem (test/unit/sync-batch-fast.test.ts holds the
 * two to the same batches).
 */
import zlib from 'node:zlib';
import type { StoredRecord } from '../records.ts';
import { checkRecord, SeqOrder } from './batch-checks.ts';
import { rebuildFast } from './batch-fast.ts';
import { rebuildExact } from './batch-rebuild.ts';
import {
  batchFieldsSchema,
  KIND_CODES,
  LEVEL_CODES,
  QUALITY_CODES,
  STATE_CODES,
  TABLES,
  type TableName,
  toWire,
  WIRE_VERSION,
  type Wire,
  wireSchema,
} from './batch-wire.ts';
import { malformed, tooLarge } from './errors.ts';
import { firstIssue } from './schemas.ts';
import type { SyncBatch } from './types.ts';

export { WIRE_VERSION };
/** Records per batch decodeBatch accepts unless told otherwise. */
export const DEFAULT_MAX_RECORDS = 10_000;
/** Inflated body bytes decodeBatch accepts unless told otherwise (gzip bombs inflate ~1000:1). */
export const DEFAULT_MAX_INFLATED_BYTES = 64 * 2 ** 20;
/** zlib level 1–9: 9 is a few % smaller than 6 on this data and still fast (see test/bench/sync-wire.ts). */
const GZIP_LEVEL = 9;

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
  // The one-pass check and rebuild; when it says no, the exact path names the first problem.
  return rebuildFast(parsed.data) ?? rebuildExact(parsed.data);
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
