import type { AlarmState, Quality } from '../../protocols/records.ts';
import type { AlarmRule } from './types.ts';

/**
 * Where one rule stands on one channel:
 * - normal: not raised;
 * - active: raised, condition present (or not yet seen to clear since a restart);
 * - acknowledged: raised and acknowledged; clears normally, latching or not;
 * - latched: raised, condition gone, waiting for an acknowledgement (latching rules only).
 */
export type Phase = 'normal' | 'active' | 'acknowledged' | 'latched';

export function raises(rule: AlarmRule, value: number): boolean {
  return rule.kind === 'high' ? value >= rule.threshold : value <= rule.threshold;
}

/** Strictly past the dead band, so a value sitting on the clear point does not chatter. */
export function clears(rule: AlarmRule, value: number): boolean {
  return rule.kind === 'high' ? value < rule.threshold - rule.hysteresis : value > rule.threshold + rule.hysteresis;
}

/**
 * The phase after one reading. Only `good` values clear. An `out_of_range` value may raise but
 * never clears: a gas reading beyond the sensor's range means more gas than it can measure, so
 * the safe side is to alarm. Other qualities carry no usable value and change nothing.
 */
export function step(phase: Phase, rule: AlarmRule, value: number, quality: Quality): Phase {
  const canClear = quality === 'good';
  if (!canClear && quality !== 'out_of_range') return phase;
  switch (phase) {
    case 'normal':
      return raises(rule, value) ? 'active' : 'normal';
    case 'active':
      return canClear && clears(rule, value) ? (rule.latching ? 'latched' : 'normal') : 'active';
    case 'acknowledged':
      return canClear && clears(rule, value) ? 'normal' : 'acknowledged';
    case 'latched':
      // Back to active without a record: the alarm never stopped being raised.
      return raises(rule, value) ? 'active' : 'latched';
  }
}

/** The alarm record a phase change produces, if any (acknowledgements are made by the engine). */
export function recordedState(from: Phase, to: Phase): AlarmState | undefined {
  if (from === 'normal' && to === 'active') return 'raised';
  if ((from === 'active' || from === 'acknowledged') && to === 'normal') return 'cleared';
  return undefined;
}
