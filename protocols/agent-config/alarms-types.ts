import type { AlarmLevel, AlarmStateEntry } from '../records.ts';

export const RULE_KINDS = ['high', 'low'] as const;
export type RuleKind = (typeof RULE_KINDS)[number];

/** Rule id of alarms a device reports itself (AlarmDetail.rule); no configured rule may use it. */
export const DEVICE_RULE = 'device';

/**
 * A threshold rule as the engine uses it (config defaults filled in). A high rule is raised when
 * value ≥ threshold and clears when value < threshold − hysteresis; a low rule is raised when
 * value ≤ threshold and clears when value > threshold + hysteresis.
 */
export interface AlarmRule {
  /** Unique per (device, channel), e.g. high1, high2, low1. */
  readonly rule: string;
  readonly kind: RuleKind;
  readonly level: AlarmLevel;
  /** Engineering units of the channel. */
  readonly threshold: number;
  /** Dead band, same units, ≥ 0. */
  readonly hysteresis: number;
  /** Stays raised after the condition clears until acknowledged. */
  readonly latching: boolean;
}

/**
 * Last known state of one rule, as the buffer persists it with each alarm record
 * (RecordBuffer.alarmStates()); what the engine restarts from.
 */
export type AlarmStateSnapshot = AlarmStateEntry;
