/**
 * The record every reading and alarm becomes on the gateway; what the buffer stores, the sync
 * sends and the relay keeps. Pure data shapes; what makes one valid is records-check.ts.
 */

/** Why a value is (or is not) trustworthy. `value` is null for comm_error and exception. */
export const QUALITIES = ['good', 'comm_error', 'exception', 'out_of_range', 'sensor_fault'] as const;
export type Quality = (typeof QUALITIES)[number];

export const RECORD_KINDS = ['reading', 'alarm'] as const;
export type RecordKind = (typeof RECORD_KINDS)[number];

/**
 * Eviction priority when the buffer is full: ordinary readings go first, records the relay must
 * report to DGA next, alarms last.
 */
export const PRIORITY = { ordinary: 0, dga: 1, alarm: 2 } as const;
export type Priority = (typeof PRIORITY)[keyof typeof PRIORITY];

/** Bits of `flags`. */
export const RECORD_FLAGS = {
  /** The gateway's wall clock was not known to be synchronized when the record was taken. */
  clockUnsynced: 1,
} as const;

export const ALARM_LEVELS = ['warning', 'alarm'] as const;
export type AlarmLevel = (typeof ALARM_LEVELS)[number];
/**
 * `paged` is not a transition of the alarm: it is the gateway's note that it paged people itself
 * (agent/paging) because the relay had not acknowledged a transition in time. Its record carries
 * the same device, channel, rule and level as the transition, `value` = the paged transition's
 * seq, `unit` = the channel kinds it went out on, comma-separated (`modem`), `quality` = 'good', `threshold` = null, and `ts` = when the last message went
 * out. The alarm state kept per rule (buffer alarm_state, the alarm engine) ignores it; the relay
 * stores it like any record and does not page that transition again (docs/formats.md#paged-alarm-records).
 * Added after the three others, so every earlier record encodes as before.
 */
export const ALARM_STATES = ['raised', 'cleared', 'acknowledged', 'paged'] as const;
export type AlarmState = (typeof ALARM_STATES)[number];

/**
 * What an alarm record (kind `alarm`) says beyond the reading it was raised on: which rule, how
 * serious, and the transition. The record's value and unit are the reading's at the transition.
 */
export interface AlarmDetail {
  /** Unique per (device, channel): e.g. `high1`, `high2`, `low1`; `device` for alarms a device reports itself. */
  readonly rule: string;
  readonly level: AlarmLevel;
  readonly state: AlarmState;
  /** Threshold crossed, engineering units; null when the device reported the alarm itself. */
  readonly threshold: number | null;
}

/**
 * Current state of one alarm rule on one channel: what the buffer keeps in step with the alarm
 * records and the alarm engine restarts from.
 */
export interface AlarmStateEntry {
  readonly device: string;
  readonly channel: string;
  readonly rule: string;
  readonly level: AlarmLevel;
  readonly state: AlarmState;
  /** Of the alarm record that set this state; engineering units. */
  readonly threshold: number | null;
  readonly value: number | null;
  readonly ts: number;
  readonly seq: number;
}

export interface NewRecord {
  readonly kind: RecordKind;
  readonly device: string;
  readonly channel: string;
  readonly value: number | null;
  readonly unit: string;
  readonly quality: Quality;
  /** Modbus exception code when quality is `exception`, else null. */
  readonly exception: number | null;
  /** Gateway wall clock at the reading, ms since the epoch. */
  readonly ts: number;
  /** Monotonic ms since boot at the reading; with bootId lets the relay correct a wrong wall clock. */
  readonly mono: number;
  /** Linux boot id (/proc/sys/kernel/random/boot_id) of the gateway when the reading was taken. */
  readonly bootId: string;
  readonly priority: Priority;
  readonly flags: number;
  /** Present on alarm records only. */
  readonly alarm?: AlarmDetail;
}

export interface StoredRecord extends NewRecord {
  /** Gateway-wide sequence number: strictly increasing, never reused, even across crashes. */
  readonly seq: number;
}
