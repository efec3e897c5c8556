/**
 * Alerts as the detectors' transitions make them: stable, derivable ids (the gateway's alarm id
 * carries gateway, device, channel, rule and the raise's seq, so a later fleet channel can carry
 * an ack down to the latched alarm), titles and facts.
 */
import type { NewAlert } from '../store/alerts-types.ts';
import type { Transition } from './detect.ts';
import { type FaultTransition, faultFamily } from './device-faults.ts';

export function familyOf(t: Transition & { type: 'alarm' }): string {
  return `alarm:${t.record.gateway}:${t.record.device}:${t.record.channel}:${t.detail.rule}`;
}

export function alarmAlert(t: Transition & { type: 'alarm' }, now: number): NewAlert {
  const { record: r, detail: d } = t;
  const family = familyOf(t);
  return {
    id: `${family}:${r.seq}`,
    family,
    kind: 'alarm',
    severity: d.level,
    gateway: r.gateway,
    device: r.device,
    channel: r.channel,
    obra: null,
    title: `${d.level === 'alarm' ? 'ALARM' : 'Warning'} ${r.device}/${r.channel} ${d.rule} on ${r.gateway}: ${r.value ?? '?'} ${r.unit}`,
    facts: {
      gateway: r.gateway,
      device: r.device,
      channel: r.channel,
      rule: d.rule,
      level: d.level,
      value: r.value,
      unit: r.unit,
      threshold: d.threshold,
      seq: r.seq,
      ts: r.ts,
    },
    openedAt: now,
  };
}

export function integrityAlert(t: Transition & { type: 'integrity' }, now: number): NewAlert {
  return {
    id: `integrity:${t.gateway}:${t.seq}:${t.id}`,
    family: `integrity:${t.gateway}:${t.seq}`,
    kind: 'integrity',
    severity: 'alarm',
    gateway: t.gateway,
    device: null,
    channel: null,
    obra: null,
    title: `Integrity: ${t.gateway} sent seq ${t.seq} again with other content`,
    facts: { gateway: t.gateway, seq: t.seq, integrityAlarm: t.id },
    openedAt: now,
  };
}

export function silentAlert(t: Transition & { type: 'silent' }, severity: NewAlert['severity'], now: number): NewAlert {
  return {
    id: `silent:${t.gateway.id}:${t.silentSince}`,
    family: `silent:${t.gateway.id}`,
    kind: 'gateway_silent',
    severity,
    gateway: t.gateway.id,
    device: null,
    channel: null,
    obra: null,
    title: `Gateway ${t.gateway.id} silent since ${new Date(t.silentSince).toISOString()}`,
    facts: { gateway: t.gateway.id, lastSeenAt: t.silentSince },
    openedAt: now,
  };
}

export function deviceFaultAlert(t: FaultTransition & { type: 'fault' }, severity: NewAlert['severity'], now: number): NewAlert {
  const { gateway, device, channel } = t.key;
  const family = faultFamily(t.key);
  return {
    id: `${family}:${t.since}`,
    family,
    kind: 'device_fault',
    severity,
    gateway,
    device,
    channel,
    obra: null,
    title: `Device ${device}/${channel} on ${gateway} failing (comm_error/sensor_fault) since ${new Date(t.since).toISOString()}`,
    facts: { gateway, device, channel, since: t.since },
    openedAt: now,
  };
}
