// Words for the agent's wire values (record qualities, alarm levels and states, Modbus exception
// codes, ages): the values stay as the APIs send them, these are only what a person reads.
import { ageOf } from './dom.js';
import { fmtDuration } from './format.js';
import { t } from './i18n.js';

/** "3.2 s ago" on the gateway's clock; null → —. */
export function fmtAge(ts) {
  const age = ageOf(ts);
  return age === null ? '—' : t('age.ago', { duration: fmtDuration(age) });
}

/** Modbus Application Protocol v1.1b3 §7: what a technician needs to read an exception code. */
export function exceptionName(code) {
  const names = {
    1: t('modbus.exception.1'),
    2: t('modbus.exception.2'),
    3: t('modbus.exception.3'),
    4: t('modbus.exception.4'),
    5: t('modbus.exception.5'),
    6: t('modbus.exception.6'),
    8: t('modbus.exception.8'),
    10: t('modbus.exception.10'),
    11: t('modbus.exception.11'),
  };
  return names[code] ?? t('modbus.exception.unknown');
}

export const qualityLabel = (q) =>
  ({
    good: t('quality.good'),
    out_of_range: t('quality.out_of_range'),
    sensor_fault: t('quality.sensor_fault'),
    exception: t('quality.exception'),
    comm_error: t('quality.comm_error'),
  })[q] ?? q;

export const levelLabel = (level) => ({ alarm: t('alarm.level.alarm'), warning: t('alarm.level.warning') })[level] ?? level;

export const alarmStateLabel = (state) =>
  ({ raised: t('alarm.state.raised'), cleared: t('alarm.state.cleared'), acknowledged: t('alarm.state.acknowledged') })[state] ?? state;
