/**
 * The v1 layout of a sync body (batch.ts describes it): wire codes, string tables, columns and the
 * zod schema of the parsed JSON, shared by the codec (batch.ts) and the decoder's fast path
 * (batch-fast.ts).
 */
import { z } from 'zod';
import type { ALARM_LEVELS, ALARM_STATES, QUALITIES, RECORD_KINDS } from '../records.ts';
import { syncBatchSchema } from './schemas.ts';

export const WIRE_VERSION = 1;

/** Wire codes, fixed here rather than taken from the order of the lists in records.ts, so reordering those never changes what a body means. */
export const KIND_CODES = ['reading', 'alarm'] as const satisfies readonly (typeof RECORD_KINDS)[number][];
export const QUALITY_CODES = ['good', 'comm_error', 'exception', 'out_of_range', 'sensor_fault'] as const satisfies readonly (typeof QUALITIES)[number][];
export const LEVEL_CODES = ['warning', 'alarm'] as const satisfies readonly (typeof ALARM_LEVELS)[number][];
export const STATE_CODES = ['raised', 'cleared', 'acknowledged', 'paged'] as const satisfies readonly (typeof ALARM_STATES)[number][];

export const TABLES = ['device', 'channel', 'unit', 'bootId', 'rule'] as const;
export type TableName = (typeof TABLES)[number];

export type WireDouble = number | null | '-0';
type Check = readonly [valid: (v: unknown) => boolean, expected: string];
const INTEGER: Check = [Number.isSafeInteger, 'expected an integer'];
const INDEX: Check = [(v) => Number.isSafeInteger(v) && (v as number) >= 0, 'expected an integer ≥ 0'];
/** As zod's number(), refuses ±Infinity, which JSON.parse makes of 1e999. */
const DOUBLE: Check = [(v) => (typeof v === 'number' ? Number.isFinite(v) : v === null || v === '-0'), 'expected a finite number, null or "-0"'];
const EXCEPTION: Check = [(v) => v === null || Number.isSafeInteger(v), 'expected an integer or null'];
/** What each column holds, checked in this order (the layout's) by checkColumns in plain loops. */
export const COLUMNS = {
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
export type ColumnName = keyof typeof COLUMNS;
export type WireCols = Record<Exclude<ColumnName, 'value' | 'exception'>, number[]> & { value: WireDouble[]; exception: Array<number | null> };

const index = z.number().int().min(0);
const wireDouble = z.union([z.number(), z.null(), z.literal('-0')], { error: DOUBLE[1] });
const column = z.custom<unknown[]>((v) => Array.isArray(v), { error: 'expected an array' });
const batchFields = syncBatchSchema.shape;
export const batchFieldsSchema = z.strictObject({
  gateway: batchFields.gateway,
  sentAt: batchFields.sentAt,
  mono: batchFields.mono,
  bootId: batchFields.bootId,
  clockSynced: batchFields.clockSynced,
});
export const wireSchema = z.strictObject({
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
export type Wire = Omit<z.output<typeof wireSchema>, 'cols'> & { cols: WireCols };

export function toWire(v: number | null): WireDouble {
  return v !== null && Object.is(v, -0) ? '-0' : v;
}

export function fromWire(v: WireDouble): number | null {
  return v === '-0' ? -0 : v;
}
