import type { NewRecord, Quality } from '../../protocols/records.ts';
import { channelPriority, type RecordContext } from './ingest-payload.ts';
import type { ValueTransform } from './mapping-schema.ts';

/** One channel's value taken from a device's message, before it becomes a record. */
export interface MappedValue {
  readonly channel: string;
  /** null with quality sensor_fault: mapped but absent (missing: fault) or Sparkplug is_null. */
  readonly value: number | null;
  readonly unit: string;
  readonly quality: Quality;
  /** ms since the epoch: the device's time, or the receive time. */
  readonly ts: number;
}

const NUMERIC = /^\s*-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?\s*$/;

/** A device's raw value as a number: finite numbers, booleans (1/0), numeric strings; else undefined. */
export function numeric(raw: unknown): number | undefined {
  if (typeof raw === 'number') return Number.isFinite(raw) ? raw : undefined;
  if (typeof raw === 'boolean') return raw ? 1 : 0;
  if (typeof raw === 'string' && NUMERIC.test(raw)) {
    const n = Number(raw);
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

/** value · scale + offset; out_of_range outside min..max or when scaling overflowed. */
export function scaled(channel: string, raw: number, t: ValueTransform, ts: number): MappedValue {
  const value = raw * t.scale + t.offset;
  if (!Number.isFinite(value)) return { channel, value: null, unit: t.unit, quality: 'out_of_range', ts };
  const out = (t.min !== undefined && value < t.min) || (t.max !== undefined && value > t.max);
  return { channel, value, unit: t.unit, quality: out ? 'out_of_range' : 'good', ts };
}

/** The record of a mapped value: a reading, like a native telemetry object (ingest-payload.ts). */
export function mappedRecord(device: string, v: MappedValue, ctx: RecordContext): NewRecord {
  return {
    kind: 'reading',
    device,
    channel: v.channel,
    value: v.value,
    unit: v.unit,
    quality: v.quality,
    exception: null,
    ts: v.ts,
    mono: ctx.mono,
    bootId: ctx.bootId,
    priority: channelPriority(v.channel),
    flags: ctx.flags,
  };
}
