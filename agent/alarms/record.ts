import { type AlarmDetail, type AlarmLevel, type AlarmState, type NewRecord, PRIORITY } from '../../protocols/records.ts';
import { DEVICE_RULE } from './types.ts';

/** Where and when an alarm record happens: a reading's fields (a NewRecord fits). */
export interface AlarmContext {
  readonly device: string;
  readonly channel: string;
  readonly value: number | null;
  readonly unit: string;
  readonly ts: number;
  readonly mono: number;
  readonly bootId: string;
  readonly flags: number;
}

/**
 * An alarm record at a reading: its device, channel, value, unit and times, kept last when the
 * buffer is full (PRIORITY.alarm). Fields are copied one by one so a StoredRecord's seq does not
 * ride along.
 */
export function alarmRecord(at: AlarmContext, alarm: AlarmDetail): NewRecord {
  return {
    kind: 'alarm',
    device: at.device,
    channel: at.channel,
    value: at.value,
    unit: at.unit,
    quality: 'good',
    exception: null,
    ts: at.ts,
    mono: at.mono,
    bootId: at.bootId,
    priority: PRIORITY.alarm,
    flags: at.flags,
    alarm,
  };
}

/**
 * An alarm the device reported itself (e.g. a detector's own A1/A2 relay state received over
 * MQTT): rule `device`, no threshold. `value` is the reading the device gave with it, or null.
 * The ingest passes the record to the buffer; the threshold engine leaves rule `device` alone.
 */
export function deviceAlarmRecord(at: AlarmContext, level: AlarmLevel, state: AlarmState): NewRecord {
  return alarmRecord(at, { rule: DEVICE_RULE, level, state, threshold: null });
}
