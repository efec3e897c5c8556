/**
 * The CSV files of `atalaya relay export` and `GET /v1/dga/<obra>/volumes.csv` (protocols/csv.ts:
 * RFC 4180, CRLF, dot decimals, ISO 8601 UTC times). Machine files: one header line, one row per
 * reading or period, every stored field, so a file read back gives the store's rows
 * (test/unit/export-csv.test.ts).
 */
import { csvLine, parseCsv } from '../../protocols/csv.ts';
import type { AlarmDetail, Priority, Quality, RecordKind } from '../../protocols/records.ts';
import type { RelayRecord } from '../store/types.ts';
import type { ObraVolumes } from './volumes.ts';

export const READINGS_CSV_COLUMNS = [
  'gateway',
  'seq',
  'kind',
  'device',
  'channel',
  'ts',
  'ts_corrected',
  'value',
  'unit',
  'quality',
  'exception',
  'flags',
  'priority',
  'mono',
  'boot_id',
  'alarm_rule',
  'alarm_level',
  'alarm_state',
  'alarm_threshold',
  'received_at',
  'hash',
] as const;

export const VOLUMES_CSV_COLUMNS = ['obra', 'period', 'start', 'end', 'volume_m3', 'share_of_annual_pct', 'readings', 'flags'] as const;

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

export function readingsCsvHeader(): string {
  return csvLine(READINGS_CSV_COLUMNS);
}

export function readingCsvLine(r: RelayRecord): string {
  const a = r.alarm;
  return csvLine([
    r.gateway,
    r.seq,
    r.kind,
    r.device,
    r.channel,
    iso(r.ts),
    iso(r.tsCorrected),
    r.value,
    r.unit,
    r.quality,
    r.exception,
    r.flags,
    r.priority,
    r.mono,
    r.bootId,
    a?.rule ?? null,
    a?.level ?? null,
    a?.state ?? null,
    a?.threshold ?? null,
    iso(r.receivedAt),
    r.hash,
  ]);
}

/** Reads a readings CSV back (the header must be READINGS_CSV_COLUMNS); throws a plain Error on a malformed file. */
export function parseReadingsCsv(text: string): RelayRecord[] {
  const [header, ...rows] = parseCsv(text);
  if (header?.join(',') !== READINGS_CSV_COLUMNS.join(',')) throw new Error('not a readings CSV: unexpected header');
  const num = (s: string): number | null => (s === '' ? null : Number(s));
  const time = (s: string): number | null => (s === '' ? null : Date.parse(s));
  return rows.map((c) => {
    const [
      gateway,
      seq,
      kind,
      device,
      channel,
      ts,
      tsCorrected,
      value,
      unit,
      quality,
      exception,
      flags,
      priority,
      mono,
      bootId,
      rule,
      level,
      state,
      threshold,
      receivedAt,
      hash,
    ] = c as string[] & { length: 21 };
    const alarm: AlarmDetail | undefined =
      rule === '' || rule === undefined
        ? undefined
        : { rule, level: level as AlarmDetail['level'], state: state as AlarmDetail['state'], threshold: num(threshold ?? '') };
    return {
      gateway: gateway!,
      seq: Number(seq),
      kind: kind as RecordKind,
      device: device!,
      channel: channel!,
      ts: time(ts!)!,
      tsCorrected: time(tsCorrected!),
      value: num(value!),
      unit: unit!,
      quality: quality as Quality,
      exception: num(exception!),
      flags: Number(flags),
      priority: Number(priority) as Priority,
      mono: Number(mono),
      bootId: bootId!,
      ...(alarm === undefined ? {} : { alarm }),
      receivedAt: time(receivedAt!)!,
      hash: hash!,
    };
  });
}

export function volumesCsv(v: ObraVolumes): string {
  let out = csvLine(VOLUMES_CSV_COLUMNS);
  for (const p of v.periods) out += csvLine([v.obra, p.label, p.startIso, p.endIso, p.volumeM3, p.shareOfAnnualPct, p.readings, p.flags.join(' ')]);
  return out;
}
