/**
 * JSON and plain-number payloads of mapped topics (issue 17 §5) → channel values. Pure.
 * Sparkplug B is in mapping-sparkplug.ts.
 */
import { MAX_BATCH } from './ingest-payload.ts';
import { compilePath, evaluatePath, type PathSegment } from './mapping-path.ts';
import type { JsonMappingConfig, NumberMappingConfig } from './mapping-schema.ts';
import { parseTime } from './mapping-time.ts';
import { fillTemplate } from './mapping-topic.ts';
import { type MappedValue, numeric, scaled } from './mapping-values.ts';

/** Why a mapped message was not stored; per mapping in the counts and metrics (README). */
export const MAPPING_REASONS = [
  'oversized',
  'bad_json',
  'bad_number',
  'bad_sparkplug',
  'bad_time',
  'no_values',
  'bad_name',
  'unknown_alias',
  'invalid_record',
  'no_mapping',
] as const;
export type MappingReason = (typeof MAPPING_REASONS)[number];

export type Decoded = { readonly ok: true; readonly values: MappedValue[]; readonly missing: number } | { readonly ok: false; readonly reason: MappingReason };

export interface CompiledJson {
  readonly config: JsonMappingConfig;
  readonly paths: readonly PathSegment[][];
  readonly timePath: PathSegment[] | undefined;
}

/** Paths are compiled once; the schema already refused the ones that do not compile. */
export function compileJson(config: JsonMappingConfig): CompiledJson {
  return {
    config,
    paths: config.fields.map((f) => compilePath(f.path) ?? []),
    timePath: config.time === undefined ? undefined : compilePath(config.time.path),
  };
}

/**
 * One JSON object (or an array of up to MAX_BATCH, each decoded alike). A field absent or not a
 * number (null, "n/a") is missing: no value, or a sensor_fault one with `missing: fault`. A message
 * in which no field is present at all is `no_values`: most likely not the payload the mapping is for.
 */
export function decodeJson(m: CompiledJson, payload: Buffer, now: number): Decoded {
  let json: unknown;
  try {
    json = JSON.parse(payload.toString('utf8'));
  } catch {
    return { ok: false, reason: 'bad_json' };
  }
  const items = Array.isArray(json) ? json : [json];
  if (items.length === 0 || items.length > MAX_BATCH) return { ok: false, reason: 'no_values' };
  const values: MappedValue[] = [];
  let missing = 0;
  let present = 0;
  const { config } = m;
  for (const item of items) {
    let ts = now;
    if (m.timePath !== undefined && config.time !== undefined) {
      const raw = evaluatePath(item, m.timePath);
      if (raw !== undefined && raw !== null) {
        const t = parseTime(raw, config.time.format, config.time.timeZone);
        if (t === undefined) return { ok: false, reason: 'bad_time' };
        ts = t;
      }
    }
    config.fields.forEach((field, i) => {
      const raw = numeric(evaluatePath(item, m.paths[i] ?? []));
      if (raw !== undefined) {
        present++;
        values.push(scaled(field.channel, raw, field, ts));
        return;
      }
      missing++;
      if (config.missing === 'fault') values.push({ channel: field.channel, value: null, unit: field.unit, quality: 'sensor_fault', ts });
    });
  }
  return present === 0 ? { ok: false, reason: 'no_values' } : { ok: true, values, missing };
}

/** A plain-text number (`12.5`, `-3e2`, `true`): one value on the channel the topic names. */
export function decodeNumber(config: NumberMappingConfig, captures: Readonly<Record<string, string>>, payload: Buffer, now: number): Decoded {
  const text = payload.toString('utf8').trim();
  const raw = text === 'true' ? 1 : text === 'false' ? 0 : numeric(text);
  if (raw === undefined) return { ok: false, reason: 'bad_number' };
  const channel = fillTemplate(config.channel, captures);
  return { ok: true, values: [scaled(channel, raw, config.channels[channel] ?? config, now)], missing: 0 };
}
