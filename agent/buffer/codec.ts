import type { AlarmDetail, AlarmLevel, AlarmState, AlarmStateEntry, NewRecord, Quality, RecordKind, StoredRecord } from '../../protocols/records.ts';
import { newRecordProblem } from '../../protocols/records-check.ts';
import type { BufferError } from './errors.ts';
import { invalidRecord } from './errors.ts';
import type { NameTable } from './names.ts';

/**
 * On-disk codes. Fixed here, not taken from the order of RECORD_KINDS/QUALITIES/ALARM_*, so
 * reordering those lists can never change what an existing file means.
 */
export const KIND_CODE: Readonly<Record<RecordKind, number>> = { reading: 0, alarm: 1 };
export const QUALITY_CODE: Readonly<Record<Quality, number>> = { good: 0, comm_error: 1, exception: 2, out_of_range: 3, sensor_fault: 4 };
export const LEVEL_CODE: Readonly<Record<AlarmLevel, number>> = { warning: 0, alarm: 1 };
export const STATE_CODE: Readonly<Record<AlarmState, number>> = { raised: 0, cleared: 1, acknowledged: 2, paged: 3 };
const KIND_BY_CODE = invert(KIND_CODE);
const QUALITY_BY_CODE = invert(QUALITY_CODE);
const LEVEL_BY_CODE = invert(LEVEL_CODE);
const STATE_BY_CODE = invert(STATE_CODE);

/**
 * Stands in for an alarm column a damaged file no longer parses: an alarm nobody can explain is
 * reported as raised, so someone looks at it, rather than failing every read after it.
 */
const DAMAGED_ALARM: AlarmDetail = { rule: '#damaged', level: 'alarm', state: 'raised', threshold: null };

/** Current state of one alarm rule on one channel, as the `alarm_state` table keeps it. */
export type { AlarmStateEntry } from '../../protocols/records.ts';

/**
 * The record check (protocols/records-check.ts) at append(), so what the buffer holds is always
 * sendable, and one bad record rejects its own append instead of failing the group commit it
 * would share with other callers. Returns the first problem, or undefined.
 */
export function checkRecords(records: readonly NewRecord[]): BufferError | undefined {
  if (!Array.isArray(records)) return invalidRecord(-1, { path: '', expected: 'an array of records' });
  for (let i = 0; i < records.length; i++) {
    const problem = newRecordProblem(records[i]!);
    if (problem !== undefined) return invalidRecord(i, problem);
  }
  return undefined;
}

/** The field of an AlarmDetail that is wrong, or undefined. */
function checkAlarm(alarm: AlarmDetail | undefined): string | undefined {
  if (alarm === undefined || alarm === null || typeof alarm !== 'object') return 'alarm';
  if (typeof alarm.rule !== 'string' || alarm.rule.length === 0) return 'alarm.rule';
  if (typeof LEVEL_CODE[alarm.level] !== 'number') return 'alarm.level';
  if (typeof STATE_CODE[alarm.state] !== 'number') return 'alarm.state';
  if (alarm.threshold !== null && !Number.isFinite(alarm.threshold)) return 'alarm.threshold';
  return undefined;
}

/**
 * The `alarm` column (migration 2): JSON text on alarm records, NULL on readings, where a NULL
 * costs one header byte. Strings, not codes: alarm rows are rare, and the file stays readable with
 * `alarm ->> '$.rule'` in a sqlite3 shell.
 */
export function encodeAlarm(alarm: AlarmDetail): string {
  return JSON.stringify({ rule: alarm.rule, level: alarm.level, state: alarm.state, threshold: alarm.threshold });
}

function decodeAlarm(text: string): AlarmDetail {
  let parsed: AlarmDetail;
  try {
    parsed = JSON.parse(text) as AlarmDetail;
  } catch {
    return DAMAGED_ALARM;
  }
  return checkAlarm(parsed) === undefined ? { rule: parsed.rule, level: parsed.level, state: parsed.state, threshold: parsed.threshold } : DAMAGED_ALARM;
}

/** The columns every record row starts with, in table order. */
export type RecordColumns = [
  seq: number,
  kind: number,
  device: number,
  channel: number,
  value: number | null,
  unit: number,
  quality: number,
  exception: number | null,
  ts: number,
  mono: number,
  boot: number,
];

/** A read row: the stored columns, the priority implied by the table, flags, alarm. */
export type RecordRow = [...RecordColumns, priority: number, flags: number, alarm: string | null];

/** `alarm` is absent on readings, and on alarm records written before schema version 2. */
export function decodeRow(row: RecordRow, names: NameTable): StoredRecord {
  const record: StoredRecord = {
    seq: row[0],
    kind: KIND_BY_CODE[row[1]] as RecordKind,
    device: names.name(row[2]),
    channel: names.name(row[3]),
    value: row[4],
    unit: names.name(row[5]),
    quality: QUALITY_BY_CODE[row[6]] as Quality,
    exception: row[7],
    ts: row[8],
    mono: row[9],
    bootId: names.name(row[10]),
    priority: row[11] as StoredRecord['priority'],
    flags: row[12],
  };
  return row[13] === null ? record : { ...record, alarm: decodeAlarm(row[13]) };
}

/** What readAfter would return for a record just committed: the known fields only, copied. */
export function toStored(r: NewRecord, seq: number): StoredRecord {
  const record: StoredRecord = {
    seq,
    kind: r.kind,
    device: r.device,
    channel: r.channel,
    value: r.value,
    unit: r.unit,
    quality: r.quality,
    exception: r.exception,
    ts: r.ts,
    mono: r.mono,
    bootId: r.bootId,
    priority: r.priority,
    flags: r.flags,
  };
  const { alarm } = r;
  return alarm === undefined ? record : { ...record, alarm: { rule: alarm.rule, level: alarm.level, state: alarm.state, threshold: alarm.threshold } };
}

/** A row of `alarm_state`, in the column order of the statement `alarmStates`. */
export type AlarmStateRow = [
  device: number,
  channel: number,
  rule: number,
  level: number,
  state: number,
  threshold: number | null,
  value: number | null,
  ts: number,
  seq: number,
];

/** An unknown level or state code (damaged file) reads as DAMAGED_ALARM's. */
export function decodeAlarmState(row: AlarmStateRow, names: NameTable): AlarmStateEntry {
  return {
    device: names.name(row[0]),
    channel: names.name(row[1]),
    rule: names.name(row[2]),
    level: LEVEL_BY_CODE[row[3]] ?? DAMAGED_ALARM.level,
    state: STATE_BY_CODE[row[4]] ?? DAMAGED_ALARM.state,
    threshold: row[5],
    value: row[6],
    ts: row[7],
    seq: row[8],
  };
}

function invert<K extends string>(codes: Readonly<Record<K, number>>): K[] {
  const out: K[] = [];
  for (const [key, code] of Object.entries(codes) as [K, number][]) out[code] = key;
  return out;
}
