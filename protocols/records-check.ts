/**
 * The one check of a record: what the agent's buffer accepts at append (records from MQTT ingest,
 * Modbus pollers and the alarm engine), what the sync encoder sends and what the relay's decoder
 * accepts are the records this check passes, so the buffer never holds a record the relay would
 * refuse (issue 12). protocols/sync/schemas.ts keeps a zod schema of the same rules for
 * documentation and JSON Schema; test/unit/records-check.test.ts holds the two to the same verdicts.
 *
 * Hand-written rather than zod: it runs once per record on the agent's hot path and again per
 * record at the relay (see test/bench/sync-wire.ts for its cost). It returns the first problem as
 * plain data and allocates nothing for a valid record. Only the fields of the contract
 * (records.ts) are looked at: any other property is ignored, as neither the buffer nor the wire
 * encoder ever copies it.
 */

import type { NewRecord, StoredRecord } from './records.ts';
import { ALARM_LEVELS, ALARM_STATES, QUALITIES, RECORD_KINDS } from './records.ts';
import type { RecordProblem } from './records-errors.ts';

/** Longest device, channel and alarm rule name, in code points (config ids are at most 64). */
export const MAX_NAME_LENGTH = 128;
/** Longest unit, in code points (the MQTT ingest allows 16). */
export const MAX_UNIT_LENGTH = 32;
/** Longest boot id, in code points (Linux prints a 36-character UUID). */
export const MAX_BOOT_ID_LENGTH = 64;
/** Modbus exception codes are one byte (MODBUS Application Protocol v1.1b3 §7). */
export const MAX_EXCEPTION_CODE = 255;

const KINDS: ReadonlySet<unknown> = new Set(RECORD_KINDS);
const QUALITY_SET: ReadonlySet<unknown> = new Set(QUALITIES);
const LEVELS: ReadonlySet<unknown> = new Set(ALARM_LEVELS);
const STATES: ReadonlySet<unknown> = new Set(ALARM_STATES);

/** Shared problem objects: a refused record costs no allocation either. */
const problem = (path: string, expected: string): RecordProblem => Object.freeze({ path, expected });
const NOT_AN_OBJECT = problem('', 'an object');
const COUNT = `an integer 0..${Number.MAX_SAFE_INTEGER}`;
const P = {
  seq: problem('seq', COUNT),
  kind: problem('kind', `one of ${RECORD_KINDS.join(', ')}`),
  device: problem('device', `a string of 1..${MAX_NAME_LENGTH} characters`),
  channel: problem('channel', `a string of 1..${MAX_NAME_LENGTH} characters`),
  value: problem('value', 'a finite number or null'),
  unit: problem('unit', `a string of 0..${MAX_UNIT_LENGTH} characters`),
  quality: problem('quality', `one of ${QUALITIES.join(', ')}`),
  exception: problem('exception', `null or an integer 0..${MAX_EXCEPTION_CODE}`),
  ts: problem('ts', COUNT),
  mono: problem('mono', COUNT),
  bootId: problem('bootId', `a string of 1..${MAX_BOOT_ID_LENGTH} characters`),
  priority: problem('priority', '0, 1 or 2'),
  flags: problem('flags', COUNT),
  readingAlarm: problem('alarm', 'no alarm detail on a reading'),
  alarmMissing: problem('alarm', 'an alarm detail on an alarm record'),
  alarm: problem('alarm', 'an object with rule, level, state and threshold'),
  rule: problem('alarm.rule', `a string of 1..${MAX_NAME_LENGTH} characters`),
  level: problem('alarm.level', `one of ${ALARM_LEVELS.join(', ')}`),
  state: problem('alarm.state', `one of ${ALARM_STATES.join(', ')}`),
  threshold: problem('alarm.threshold', 'a finite number or null'),
} as const;

/**
 * The wire's rules (protocols/sync/batch.ts) for a record read back from the buffer: seq included,
 * and an alarm record may lack its detail (rows written before buffer schema 2 have none).
 */
export function storedRecordProblem(r: StoredRecord): RecordProblem | undefined {
  if (typeof r !== 'object' || r === null || Array.isArray(r)) return NOT_AN_OBJECT;
  if (!isCount(r.seq)) return P.seq;
  return fieldsProblem(r, false);
}

/**
 * What buffer.append accepts: the wire's rules, and an alarm record always carries its detail
 * (the buffer keeps the alarm state from it).
 */
export function newRecordProblem(r: NewRecord): RecordProblem | undefined {
  if (typeof r !== 'object' || r === null || Array.isArray(r)) return NOT_AN_OBJECT;
  return fieldsProblem(r, true);
}

/** In the order of the fields in storedRecordSchema, so both name the same first problem. */
function fieldsProblem(r: NewRecord, detailRequired: boolean): RecordProblem | undefined {
  if (!KINDS.has(r.kind)) return P.kind;
  if (!isName(r.device)) return P.device;
  if (!isName(r.channel)) return P.channel;
  if (r.value !== null && !Number.isFinite(r.value)) return P.value;
  if (!isUnit(r.unit)) return P.unit;
  if (!QUALITY_SET.has(r.quality)) return P.quality;
  const { exception } = r;
  if (exception !== null && !(Number.isSafeInteger(exception) && exception >= 0 && exception <= MAX_EXCEPTION_CODE)) return P.exception;
  if (!isCount(r.ts)) return P.ts;
  if (!isCount(r.mono)) return P.mono;
  if (!isBootId(r.bootId)) return P.bootId;
  if (r.priority !== 0 && r.priority !== 1 && r.priority !== 2) return P.priority;
  if (!isCount(r.flags)) return P.flags;
  const { alarm } = r;
  if (alarm === undefined) return r.kind === 'alarm' && detailRequired ? P.alarmMissing : undefined;
  if (typeof alarm !== 'object' || alarm === null || Array.isArray(alarm)) return P.alarm;
  if (!isName(alarm.rule)) return P.rule;
  if (!LEVELS.has(alarm.level)) return P.level;
  if (!STATES.has(alarm.state)) return P.state;
  if (alarm.threshold !== null && !Number.isFinite(alarm.threshold)) return P.threshold;
  return r.kind === 'reading' ? P.readingAlarm : undefined;
}

/** A device, channel or alarm rule name as the check accepts it (the decoder's fast path judges a batch's string tables with these). */
export function isName(v: unknown): boolean {
  return isString(v, 1, MAX_NAME_LENGTH);
}

export function isUnit(v: unknown): boolean {
  return isString(v, 0, MAX_UNIT_LENGTH);
}

export function isBootId(v: unknown): boolean {
  return isString(v, 1, MAX_BOOT_ID_LENGTH);
}

/** seq, ms since the epoch, ms since boot, flags: integers JS holds exactly, never negative. */
function isCount(v: unknown): boolean {
  return Number.isSafeInteger(v) && (v as number) >= 0;
}

/**
 * A string of min..max code points, as zod's min() and max() count them (a surrogate pair once).
 * UTF-16 length bounds the count from above, so only a string longer than max is counted.
 */
function isString(v: unknown, min: number, max: number): boolean {
  if (typeof v !== 'string') return false;
  if (v.length < min) return false;
  return v.length <= max || codePoints(v) <= max;
}

function codePoints(s: string): number {
  let count = s.length;
  for (let i = 0; i < s.length - 1; i++) {
    if ((s.charCodeAt(i) & 0xfc00) === 0xd800 && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      count--;
      i++;
    }
  }
  return count;
}
