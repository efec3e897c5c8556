import type { Notification } from '../../platform/notify/types.ts';
import type { PageRow } from './store.ts';

/**
 * The words of a local page: short enough that the title and the first line fit one SMS
 * (sms-text.ts), in the same terms as the status page (device, channel, rule, value and unit).
 */
export function pageMessage(row: PageRow, gatewayId: string): Omit<Notification, 'key'> {
  const value = row.value === null ? 'no value' : `${row.value} ${row.unit}`.trim();
  const what = row.state === 'raised' ? 'ALARM' : 'ALL CLEAR';
  const title = `${what} ${row.device} ${row.channel} ${value}`.slice(0, 120);
  const at = new Date(row.ts).toISOString().slice(0, 16).replace('T', ' ');
  const text = [
    `Gateway ${gatewayId}, rule ${row.rule}${row.threshold === null ? '' : ` (threshold ${row.threshold})`}, ${at} UTC.`,
    'Sent by the gateway: the cloud relay is unreachable.',
  ].join('\n');
  return {
    eventId: `alarm:${gatewayId}:${row.device}:${row.channel}:${row.rule}:${row.state}:${row.seq}`,
    severity: 'alarm',
    title,
    text,
    at: row.ts,
    facts: {
      gateway: gatewayId,
      device: row.device,
      channel: row.channel,
      rule: row.rule,
      state: row.state,
      value: row.value,
      unit: row.unit,
      threshold: row.threshold,
      seq: row.seq,
      source: 'gateway',
    },
  };
}
