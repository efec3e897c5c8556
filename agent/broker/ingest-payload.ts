import { z } from 'zod';
import type { NewRecord, Priority } from '../../protocols/records.ts';
import { PRIORITY } from '../../protocols/records.ts';
import { newRecordProblem } from '../../protocols/records-check.ts';
import { USERNAME_PATTERN } from './acl.ts';

/** Most objects in one telemetry array; larger batches are split by the device. */
export const MAX_BATCH = 500;
/** Channels the relay reports to DGA: kept longest when the buffer is full (as devices[].dgaChannels by default). */
export const DGA_CHANNELS: ReadonlySet<string> = new Set(['flow', 'totalizer', 'level']);

/** Device and channel names become topic levels of the republished tree: the same alphabet as config ids. */
const name = z.string().regex(USERNAME_PATTERN);
const unit = z.string().max(16);
/** ms since the epoch (1970..2255), or an RFC 3339 date-time with offset. */
const ts = z.union([z.number().int().min(0).max(9_007_199_254_740), z.iso.datetime({ offset: true })]);
const seq = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

const telemetryItem = z.strictObject({
  channel: name,
  value: z.number().finite(),
  unit,
  ts: ts.optional(),
  seq: seq.optional(),
});

export const telemetryPayloadSchema = z.union([telemetryItem, z.array(telemetryItem).min(1).max(MAX_BATCH)]);

export const alarmPayloadSchema = z.strictObject({
  channel: name,
  level: z.enum(['warning', 'alarm']),
  state: z.enum(['raised', 'cleared']),
  value: z.number().finite().optional(),
  unit: unit.optional(),
  ts: ts.optional(),
  seq: seq.optional(),
});

export type TelemetryItem = z.output<typeof telemetryItem>;
export type AlarmPayload = z.output<typeof alarmPayloadSchema>;
export const INGEST_KINDS = ['telemetry', 'alarm'] as const;
export type IngestKind = (typeof INGEST_KINDS)[number];

/** What the composition root supplies for every record. */
export interface RecordContext {
  readonly now: number;
  readonly mono: number;
  readonly bootId: string;
  readonly flags: number;
}

export type ParsedPayload =
  | { readonly ok: true; readonly records: NewRecord[]; readonly seq: number | undefined }
  | { readonly ok: false; readonly reason: 'bad_json' | 'schema' | 'invalid_record' };

/**
 * Parses one ingest PUBLISH payload into records. `seq` is the device sequence that identifies
 * the message for redelivery detection: the seq of its last object, if that has one. A payload
 * the schema accepts but whose records break the record check (protocols/records-check.ts, what
 * the buffer and the wire accept; e.g. an RFC 3339 ts before 1970) is `invalid_record` as a whole:
 * a message is stored entirely or not at all.
 */
export function parsePayload(kind: IngestKind, device: string, payload: Buffer, ctx: RecordContext): ParsedPayload {
  const parsed = parseRecords(kind, device, payload, ctx);
  if (parsed.ok) for (const r of parsed.records) if (newRecordProblem(r) !== undefined) return { ok: false, reason: 'invalid_record' };
  return parsed;
}

function parseRecords(kind: IngestKind, device: string, payload: Buffer, ctx: RecordContext): ParsedPayload {
  let json: unknown;
  try {
    json = JSON.parse(payload.toString('utf8'));
  } catch {
    return { ok: false, reason: 'bad_json' };
  }
  if (kind === 'telemetry') {
    const items = plainTelemetry(json) ?? telemetryItems(json);
    if (items === undefined) return { ok: false, reason: 'schema' };
    return { ok: true, records: items.map((item) => readingRecord(device, item, ctx)), seq: items[items.length - 1]?.seq };
  }
  const result = alarmPayloadSchema.safeParse(json);
  if (!result.success) return { ok: false, reason: 'schema' };
  return { ok: true, records: [alarmRecord(device, result.data, ctx)], seq: result.data.seq };
}

function telemetryItems(json: unknown): readonly TelemetryItem[] | undefined {
  const result = telemetryPayloadSchema.safeParse(json);
  if (!result.success) return undefined;
  return Array.isArray(result.data) ? result.data : [result.data];
}

const ITEM_KEYS: ReadonlySet<string> = new Set(['channel', 'value', 'unit', 'ts', 'seq']);
const MAX_TS = 9_007_199_254_740;

/**
 * The common payload, checked without zod (a few µs a message at MQTT rates): an item or an
 * array of items with a numeric or absent ts. Accepts only what telemetryPayloadSchema accepts;
 * anything else (an RFC 3339 ts, an error) returns undefined and the schema decides, so
 * acceptance and the refusal reason stay the schema's.
 */
function plainTelemetry(json: unknown): readonly TelemetryItem[] | undefined {
  if (!Array.isArray(json)) return plainItem(json) ? [json as TelemetryItem] : undefined;
  if (json.length === 0 || json.length > MAX_BATCH) return undefined;
  for (const item of json) if (!plainItem(item)) return undefined;
  return json as TelemetryItem[];
}

function plainItem(item: unknown): boolean {
  if (typeof item !== 'object' || item === null || Array.isArray(item)) return false;
  const o = item as Record<string, unknown>;
  for (const key in o) if (!ITEM_KEYS.has(key)) return false;
  const { channel, value, unit, ts, seq } = o;
  return (
    typeof channel === 'string' &&
    USERNAME_PATTERN.test(channel) &&
    typeof value === 'number' &&
    Number.isFinite(value) &&
    typeof unit === 'string' &&
    unit.length <= 16 &&
    (ts === undefined || (Number.isInteger(ts) && (ts as number) >= 0 && (ts as number) <= MAX_TS)) &&
    (seq === undefined || (Number.isSafeInteger(seq) && (seq as number) >= 0))
  );
}

function toMillis(value: number | string | undefined, now: number): number {
  if (value === undefined) return now;
  return typeof value === 'number' ? value : Date.parse(value);
}

export function channelPriority(channel: string): Priority {
  return DGA_CHANNELS.has(channel) ? PRIORITY.dga : PRIORITY.ordinary;
}

function readingRecord(device: string, item: TelemetryItem, ctx: RecordContext): NewRecord {
  return {
    kind: 'reading',
    device,
    channel: item.channel,
    value: item.value,
    unit: item.unit,
    quality: 'good',
    exception: null,
    ts: toMillis(item.ts, ctx.now),
    mono: ctx.mono,
    bootId: ctx.bootId,
    priority: channelPriority(item.channel),
    flags: ctx.flags,
  };
}

function alarmRecord(device: string, alarm: AlarmPayload, ctx: RecordContext): NewRecord {
  return {
    kind: 'alarm',
    device,
    channel: alarm.channel,
    value: alarm.value ?? null,
    unit: alarm.unit ?? '',
    quality: 'good',
    exception: null,
    ts: toMillis(alarm.ts, ctx.now),
    mono: ctx.mono,
    bootId: ctx.bootId,
    priority: PRIORITY.alarm,
    flags: ctx.flags,
    // Raised by the device itself: no gateway rule, no threshold (protocols/records.ts AlarmDetail).
    alarm: { rule: 'device', level: alarm.level, state: alarm.state, threshold: null },
  };
}
