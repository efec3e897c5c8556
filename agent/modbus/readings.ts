import type { Profile } from '../../protocols/profiles/index.ts';
import { type NewRecord, PRIORITY, type Quality } from '../../protocols/records.ts';
import type { ModbusError } from './errors.ts';
import { MODBUS_EXCEPTION } from './errors.ts';

/** What one poll produced for a field: its engineering value, or why there is none. */
export type FieldOutcome = { readonly ok: true; readonly value: number } | { readonly ok: false; readonly error: ModbusError };

export interface RecordContext {
  readonly device: string;
  readonly ts: number;
  readonly mono: number;
  readonly bootId: string;
  readonly flags: number;
  readonly params: Readonly<Record<string, number>>;
  readonly dgaChannels: ReadonlySet<string>;
}

/**
 * Turn one poll's outcomes into records: every channel and status bit gets a record, with a
 * quality that says why a value is missing or not to be trusted, so a gap in the data is always
 * explained. Derived channels follow their source.
 */
export function toRecords(profile: Profile, outcomes: ReadonlyMap<string, FieldOutcome>, ctx: RecordContext): NewRecord[] {
  const faulted = new Set<string>();
  for (const s of profile.status) {
    const o = outcomes.get(s.key);
    if (s.meaning === 'fault' && o?.ok === true && o.value !== 0) for (const c of s.channels) faulted.add(c);
  }
  const out: NewRecord[] = [];
  const byKey = new Map<string, NewRecord>();
  for (const c of profile.channels) {
    const r = record(c.key, c.unit, outcomes.get(c.key), c, faulted, ctx);
    byKey.set(c.key, r);
    out.push(r);
  }
  for (const d of profile.derived) {
    const src = byKey.get(d.source);
    const param = ctx.params[d.param];
    if (src === undefined || param === undefined) continue;
    const value = src.value === null ? null : round(param - src.value, d.resolution);
    let quality: Quality = src.quality;
    if (faulted.has(d.key)) quality = 'sensor_fault';
    else if (quality === 'good' && value !== null && (value < d.min || value > d.max)) quality = 'out_of_range';
    out.push({ ...src, channel: d.key, unit: d.unit, value, quality, priority: ctx.dgaChannels.has(d.key) ? PRIORITY.dga : PRIORITY.ordinary });
  }
  for (const s of profile.status) out.push(record(s.key, '', outcomes.get(s.key), undefined, faulted, ctx));
  return out;
}

function record(
  key: string,
  unit: string,
  o: FieldOutcome | undefined,
  range: { min: number; max: number; resolution: number } | undefined,
  faulted: ReadonlySet<string>,
  ctx: RecordContext,
): NewRecord {
  let value: number | null = null;
  let quality: Quality;
  let exception: number | null = null;
  if (o === undefined || !o.ok) {
    quality = o?.error.code === MODBUS_EXCEPTION ? 'exception' : 'comm_error';
    exception = o?.error.exception ?? null;
  } else {
    value = range === undefined ? o.value : round(o.value, range.resolution);
    if (!Number.isFinite(value)) {
      // NaN/Infinity from a float register: nothing a consumer can use, and SQLite cannot hold it.
      value = null;
      quality = 'out_of_range';
    } else if (faulted.has(key)) quality = 'sensor_fault';
    else if (range !== undefined && (value < range.min || value > range.max)) quality = 'out_of_range';
    else quality = 'good';
  }
  return {
    kind: 'reading',
    device: ctx.device,
    channel: key,
    value,
    unit,
    quality,
    exception,
    ts: ctx.ts,
    mono: ctx.mono,
    bootId: ctx.bootId,
    priority: ctx.dgaChannels.has(key) ? PRIORITY.dga : PRIORITY.ordinary,
    flags: ctx.flags,
  };
}

/** Round to the channel's resolution so 0.1-scaled integers do not print as 12.300000000000001. */
export function round(value: number, resolution: number): number {
  if (!Number.isFinite(value)) return value;
  const decimals = Math.min(12, Math.max(0, Math.ceil(-Math.log10(resolution) - 1e-9)));
  const f = 10 ** decimals;
  return Math.round(value * f) / f;
}
