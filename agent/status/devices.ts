import type { Clock } from '../../protocols/clock.ts';
import type { Quality } from '../../protocols/records.ts';
import type { AgentConfig } from '../config/schema.ts';
import type { DeviceState } from '../modbus/health.ts';
import type { LiveView } from './live.ts';
import type { ModbusDeviceInfo, StatusSources, Transport } from './sources.ts';

export interface DeviceView {
  readonly id: string;
  readonly profile: string | null;
  readonly transport: Transport;
  readonly address: string | null;
  readonly unitId: number | null;
  readonly intervalMs: number | null;
  readonly health: {
    readonly state: DeviceState;
    readonly polls: number;
    readonly goodPolls: number;
    /** goodPolls / polls, 0..1; null before the first poll. */
    readonly successRate: number | null;
    readonly lastLatencyMs: number | null;
    readonly lastErrorCode: string | null;
    readonly lastOkAt: number | null;
  } | null;
  readonly channels: ReadonlyArray<{
    readonly channel: string;
    readonly value: number | null;
    readonly unit: string;
    readonly quality: Quality;
    readonly exception: number | null;
    readonly ts: number;
    readonly ageMs: number;
    readonly seq: number;
  }>;
}

/** The configured Modbus devices as the page lists them, in config order. */
export function modbusDevices(config: Pick<AgentConfig, 'devices' | 'serial'>): ModbusDeviceInfo[] {
  const serial = new Map(config.serial.map((s) => [s.id, s]));
  return config.devices.map((d) => {
    const base = { id: d.id, profile: d.profile, unitId: d.unitId, intervalMs: d.intervalMs };
    if (d.tcp !== undefined) return { ...base, transport: d.tcp.rtuOverTcp ? 'rtu+tcp' : 'tcp', address: `${d.tcp.host}:${d.tcp.port}` };
    return { ...base, transport: 'rtu', address: serial.get(d.serial ?? '')?.path ?? d.serial ?? '' };
  });
}

/** Configured devices first (config order), then devices seen only in records (MQTT), by name. */
export function deviceViews(sources: StatusSources, live: LiveView, clock: Clock): DeviceView[] {
  const now = clock.now();
  const channels = (id: string): DeviceView['channels'] =>
    live.latest(id).map((r) => ({
      channel: r.channel,
      value: r.value,
      unit: r.unit,
      quality: r.quality,
      exception: r.exception,
      ts: r.ts,
      ageMs: Math.max(0, now - r.ts),
      seq: r.seq,
    }));
  const configured = new Set(sources.devices.map((d) => d.id));
  const out: DeviceView[] = sources.devices.map((d) => {
    const h = sources.health(d.id);
    return {
      id: d.id,
      profile: d.profile,
      transport: d.transport,
      address: d.address,
      unitId: d.unitId,
      intervalMs: d.intervalMs,
      health:
        h === undefined
          ? null
          : {
              state: h.state,
              polls: h.polls,
              goodPolls: h.goodPolls,
              successRate: h.polls === 0 ? null : h.goodPolls / h.polls,
              lastLatencyMs: h.lastLatencyMs,
              lastErrorCode: h.lastErrorCode,
              lastOkAt: h.lastOkAt,
            },
      channels: channels(d.id),
    };
  });
  for (const id of live
    .deviceIds()
    .filter((x) => !configured.has(x))
    .sort()) {
    out.push({ id, profile: null, transport: 'mqtt', address: null, unitId: null, intervalMs: null, health: null, channels: channels(id) });
  }
  return out;
}
