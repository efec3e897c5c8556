/**
 * decodeBatch's fast path (issue 18): one pass over the parsed columns that makes every check of
 * the exact path (batch-rebuild.ts: column types, codes, table indexes, the record check, alarm
 * detail, seq order, every table entry used) as a plain yes or no while it builds the records,
 * with no call, closure or Map per record. Each string table entry is judged once per batch
 * rather than once per record that uses it. Any no returns undefined, and decodeBatch runs the
 * exact path, which refuses the body naming its first problem; so rebuildFast(wire) is either
 * undefined or the very batch rebuildExact(wire) returns (test/unit/sync-batch-fast.test.ts).
 */
import type { AlarmDetail, StoredRecord } from '../records.ts';
import { isBootId, isName, isUnit, MAX_EXCEPTION_CODE } from '../records-check.ts';
import type { ParsedWire } from './batch-rebuild.ts';
import { KIND_CODES, LEVEL_CODES, QUALITY_CODES, STATE_CODES } from './batch-wire.ts';
import type { SyncBatch } from './types.ts';

const VALID = 1;
const USED = 2;

/** Per entry: 0 invalid, VALID, USED once a record refers to it; undefined for duplicate or invalid entries. */
function tableStates(entries: readonly string[], valid: (s: string) => boolean): Uint8Array | undefined {
  if (new Set(entries).size !== entries.length) return undefined;
  const states = new Uint8Array(entries.length);
  for (let j = 0; j < entries.length; j++) {
    if (!valid(entries[j]!)) return undefined;
    states[j] = VALID;
  }
  return states;
}

const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

/** The alarm details in ascending record index, or undefined. */
function details(wire: ParsedWire, rules: Uint8Array): Array<{ readonly record: number; readonly alarm: AlarmDetail }> | undefined {
  const out: Array<{ readonly record: number; readonly alarm: AlarmDetail }> = [];
  let previous = -1;
  for (const [i, ruleAt, levelAt, stateAt, threshold] of wire.alarms) {
    if (i <= previous || i >= wire.n || !(rules[ruleAt]! > 0)) return undefined;
    previous = i;
    rules[ruleAt] = USED;
    const level = LEVEL_CODES[levelAt];
    const state = STATE_CODES[stateAt];
    if (level === undefined || state === undefined || (typeof threshold === 'number' && !Number.isFinite(threshold))) return undefined;
    out.push({ record: i, alarm: { rule: wire.tables.rule[ruleAt]!, level, state, threshold: threshold === '-0' ? -0 : threshold } });
  }
  return out;
}

/** The batch of a parsed wire when it is valid, else undefined (see above). */
export function rebuildFast(wire: ParsedWire): SyncBatch | undefined {
  const { n, cols, tables } = wire;
  const { seq: seqs, ts: tss, mono: monos, kind: kinds, device: devices, channel: channels, unit: units, bootId: boots } = cols;
  const { value: values, quality: qualities, exception: exceptions, priority: priorities, flags: flagsCol } = cols;
  for (const c of [seqs, tss, monos, kinds, devices, channels, units, boots, values, qualities, exceptions, priorities, flagsCol])
    if (c.length !== n) return undefined;
  const device = tableStates(tables.device, isName);
  const channel = tableStates(tables.channel, isName);
  const unit = tableStates(tables.unit, isUnit);
  const bootId = tableStates(tables.bootId, isBootId);
  const rule = tableStates(tables.rule, isName);
  if (device === undefined || channel === undefined || unit === undefined || bootId === undefined || rule === undefined) return undefined;
  const alarmDetails = details(wire, rule);
  if (alarmDetails === undefined) return undefined;
  const records = new Array<StoredRecord>(n);
  let nextDetail = 0;
  let seq = 0;
  let ts = 0;
  let mono = 0;
  // Seq ascends within each kind (so is unique within it); -1 is below every seq.
  let lastReading = -1;
  let lastAlarm = -1;
  for (let i = 0; i < n; i++) {
    const ds = seqs[i];
    const dt = tss[i];
    const dm = monos[i];
    if (!Number.isSafeInteger(ds) || !Number.isSafeInteger(dt) || !Number.isSafeInteger(dm)) return undefined;
    seq += ds as number;
    ts += dt as number;
    mono += dm as number;
    if (!isCount(seq) || !isCount(ts) || !isCount(mono)) return undefined;
    const k = kinds[i];
    if (k === 0) {
      if (seq <= lastReading) return undefined;
      lastReading = seq;
    } else if (k === 1) {
      if (seq <= lastAlarm) return undefined;
      lastAlarm = seq;
    } else return undefined;
    const d = devices[i];
    const c = channels[i];
    const u = units[i];
    const b = boots[i];
    if (typeof d !== 'number' || typeof c !== 'number' || typeof u !== 'number' || typeof b !== 'number') return undefined;
    if (!(device[d]! > 0 && channel[c]! > 0 && unit[u]! > 0 && bootId[b]! > 0)) return undefined;
    device[d] = USED;
    channel[c] = USED;
    unit[u] = USED;
    bootId[b] = USED;
    let value = values[i];
    if (value === '-0') value = -0;
    else if (value !== null && !(typeof value === 'number' && Number.isFinite(value))) return undefined;
    const q = qualities[i];
    const quality = typeof q === 'number' ? QUALITY_CODES[q] : undefined;
    const exception = exceptions[i];
    const priority = priorities[i];
    const flags = flagsCol[i];
    if (quality === undefined || (priority !== 0 && priority !== 1 && priority !== 2) || !isCount(flags)) return undefined;
    if (exception !== null && !(Number.isSafeInteger(exception) && (exception as number) >= 0 && (exception as number) <= MAX_EXCEPTION_CODE)) return undefined;
    const record: StoredRecord = {
      seq,
      kind: KIND_CODES[k],
      device: tables.device[d]!,
      channel: tables.channel[c]!,
      value: value as number | null,
      unit: tables.unit[u]!,
      quality,
      exception: exception as number | null,
      ts,
      mono,
      bootId: tables.bootId[b]!,
      priority,
      flags,
    };
    const detail = alarmDetails[nextDetail];
    if (detail !== undefined && detail.record === i) {
      // A reading carries no alarm detail.
      if (k !== 1) return undefined;
      records[i] = { ...record, alarm: detail.alarm };
      nextDetail++;
    } else records[i] = record;
  }
  if (nextDetail !== alarmDetails.length) return undefined;
  for (const states of [device, channel, unit, bootId, rule]) if (states.includes(VALID)) return undefined;
  // Unique across kinds too: no reading shares its seq with an alarm.
  if (lastAlarm !== -1 && lastReading !== -1) {
    const alarmSeqs = new Set<number>();
    for (const r of records) if (r.kind === KIND_CODES[1]) alarmSeqs.add(r.seq);
    for (const r of records) if (r.kind === KIND_CODES[0] && alarmSeqs.has(r.seq)) return undefined;
  }
  return { gateway: wire.gateway, sentAt: wire.sentAt, mono: wire.mono, bootId: wire.bootId, clockSynced: wire.clockSynced, records };
}
