/**
 * What every adapter does with a provider value: check it is a number, scale it, make the record.
 * Pure (no I/O), so each adapter's mapping is unit-tested without a provider.
 */
import type { SourceMessage, SourceProblem } from '../store/sources-types.ts';
import type { FieldMap } from './config.ts';

export type SourceRecord = SourceMessage['records'][number];

/** Numbers, and numeric text (Tago and CSV carry text); anything else is not a number. */
export function numeric(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'string' && v.trim() !== '' && /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(v.trim())) return Number(v);
  return undefined;
}

/**
 * The record of one mapped field, or the problem it makes: `missing_field` when the provider did
 * not send it, `not_a_number` when it sent something else. A scaled value that is not finite is
 * stored with quality out_of_range and value null, as the agent does for a NaN register.
 */
export function fieldRecord(
  raw: unknown,
  map: FieldMap,
  where: { device: string; ts: number; field: string },
): { record: SourceRecord } | { problem: SourceProblem } {
  if (raw === undefined || raw === null || raw === '') return { problem: { reason: 'missing_field', detail: `${where.device}: ${where.field}` } };
  const n = numeric(raw);
  if (n === undefined) return { problem: { reason: 'not_a_number', detail: `${where.device}: ${where.field}` } };
  const value = n * map.scale + map.offset;
  const finite = Number.isFinite(value);
  return {
    record: {
      kind: 'reading',
      device: where.device,
      channel: map.channel,
      value: finite ? value : null,
      unit: map.unit,
      quality: finite ? 'good' : 'out_of_range',
      exception: null,
      ts: where.ts,
    },
  };
}

/** ISO 8601 with up to nanoseconds (TTS writes 9 fraction digits) → ms; undefined when it is not one. */
export function isoMs(v: unknown): number | undefined {
  if (typeof v !== 'string' || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/.test(v)) return undefined;
  const ms = Date.parse(v.replace(/(\.\d{3})\d+/, '$1'));
  return Number.isFinite(ms) ? ms : undefined;
}

/** A dot path into an object (`a.b`): decoded payloads nest (`flow.value`). */
export function dotPath(obj: unknown, path: string): unknown {
  let cur: unknown = obj;
  for (const key of path.split('.')) {
    if (typeof cur !== 'object' || cur === null || Array.isArray(cur) || !Object.hasOwn(cur, key)) return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}
