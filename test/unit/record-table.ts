/**
 * One table of records that break each rule of the record check (protocols/records-check.ts),
 * enumerated by every place that must refuse them: the check itself, the wire encoder, the
 * relay's decoder, the zod schema kept for documentation, buffer.append. One table, so they can
 * never disagree on what a valid record is.
 */

import type { StoredRecord } from '../../protocols/records.ts';
import { PRIORITY } from '../../protocols/records.ts';

export const VALID_READING: StoredRecord = {
  seq: 7,
  kind: 'reading',
  device: 'gas-01',
  channel: 'ch4',
  value: 12.5,
  unit: '%LEL',
  quality: 'good',
  exception: null,
  ts: 1_750_000_000_000,
  mono: 86_400_000,
  bootId: 'b0a1c2d3-0000-4000-8000-000000000001',
  priority: PRIORITY.ordinary,
  flags: 0,
};

export const VALID_ALARM: StoredRecord = {
  ...VALID_READING,
  seq: 8,
  kind: 'alarm',
  priority: PRIORITY.alarm,
  alarm: { rule: 'high1', level: 'alarm', state: 'raised', threshold: 10 },
};

export interface InvalidCase {
  readonly label: string;
  readonly record: StoredRecord;
  /** Field path the check names. */
  readonly path: string;
  /** false when JSON cannot carry the bad value (NaN), so no wire body can hold it. */
  readonly onWire: boolean;
}

const reading = (change: Record<string, unknown>): StoredRecord => ({ ...VALID_READING, ...change }) as StoredRecord;
const alarm = (change: Record<string, unknown>): StoredRecord => ({ ...VALID_ALARM, alarm: { ...VALID_ALARM.alarm!, ...change } }) as StoredRecord;

const c = (label: string, record: StoredRecord, path: string, onWire = true): InvalidCase => ({ label, record, path, onWire });

/** Every rule, at just past its limit. */
export const INVALID: readonly InvalidCase[] = [
  c('seq negative', reading({ seq: -1 }), 'seq'),
  c('seq fractional', reading({ seq: 7.5 }), 'seq'),
  c('seq beyond 2^53', reading({ seq: 2 ** 53 + 2 }), 'seq'),
  c('kind unknown', reading({ kind: 'event' }), 'kind'),
  c('device empty', reading({ device: '' }), 'device'),
  c('device of 129 characters', reading({ device: 'd'.repeat(129) }), 'device'),
  c('device of 129 astral characters', reading({ device: '🌵'.repeat(129) }), 'device'),
  c('channel empty', reading({ channel: '' }), 'channel'),
  c('channel of 129 characters', reading({ channel: 'c'.repeat(129) }), 'channel'),
  c('value NaN', reading({ value: Number.NaN }), 'value', false),
  c('value +Infinity', reading({ value: Number.POSITIVE_INFINITY }), 'value'),
  c('value -Infinity', reading({ value: Number.NEGATIVE_INFINITY }), 'value'),
  c('unit of 33 characters', reading({ unit: 'u'.repeat(33) }), 'unit'),
  c('quality unknown', reading({ quality: 'bad' }), 'quality'),
  c('exception negative', reading({ value: null, quality: 'exception', exception: -1 }), 'exception'),
  c('exception over one byte', reading({ value: null, quality: 'exception', exception: 256 }), 'exception'),
  c('exception fractional', reading({ value: null, quality: 'exception', exception: 2.5 }), 'exception'),
  c('ts before 1970', reading({ ts: -1 }), 'ts'),
  c('ts fractional', reading({ ts: 1.5 }), 'ts'),
  c('ts beyond 2^53', reading({ ts: 2 ** 53 + 2 }), 'ts'),
  c('mono negative', reading({ mono: -1 }), 'mono'),
  c('bootId empty', reading({ bootId: '' }), 'bootId'),
  c('bootId of 65 characters', reading({ bootId: 'b'.repeat(65) }), 'bootId'),
  c('priority 3', reading({ priority: 3 }), 'priority'),
  c('priority -1', reading({ priority: -1 }), 'priority'),
  c('flags negative', reading({ flags: -1 }), 'flags'),
  c('flags fractional', reading({ flags: 0.5 }), 'flags'),
  c('alarm detail on a reading', reading({ alarm: VALID_ALARM.alarm }), 'alarm'),
  c('alarm rule empty', alarm({ rule: '' }), 'alarm.rule'),
  c('alarm rule of 129 characters', alarm({ rule: 'r'.repeat(129) }), 'alarm.rule'),
  c('alarm level unknown', alarm({ level: 'critical' }), 'alarm.level'),
  c('alarm state unknown', alarm({ state: 'gone' }), 'alarm.state'),
  c('alarm threshold Infinity', alarm({ threshold: Number.POSITIVE_INFINITY }), 'alarm.threshold'),
  c('alarm threshold NaN', alarm({ threshold: Number.NaN }), 'alarm.threshold', false),
];

/** Each limit itself, and what the rules allow at their edges. */
export const VALID: readonly StoredRecord[] = [
  VALID_READING,
  VALID_ALARM,
  reading({ seq: 0, ts: 0, mono: 0, flags: 0 }),
  reading({ seq: Number.MAX_SAFE_INTEGER, ts: Number.MAX_SAFE_INTEGER, mono: Number.MAX_SAFE_INTEGER, flags: Number.MAX_SAFE_INTEGER }),
  reading({ device: 'd'.repeat(128), channel: 'c'.repeat(128), unit: 'u'.repeat(32), bootId: 'b'.repeat(64) }),
  // Code points, as zod counts them: 128 cacti are 256 UTF-16 units.
  reading({ device: '🌵'.repeat(128), unit: '🌵'.repeat(32) }),
  reading({ unit: '', value: null, quality: 'comm_error' }),
  reading({ value: -0, priority: PRIORITY.dga }),
  reading({ value: null, quality: 'exception', exception: 255 }),
  alarm({ rule: 'r'.repeat(128), threshold: null, level: 'warning', state: 'acknowledged' }),
];
