/**
 * The health report of a poll (protocols/fleet/health.ts), assembled from what the agent's other
 * parts already keep: the buffer's stats, each device's DeviceHealth, the broker's stats, the
 * status page's SystemProbe (CPU temperature, memory, statfs of the buffer's directory). The
 * composition root passes them in; nothing is measured twice and nothing here holds a timer.
 */
import type { DeviceLinkState, HealthReport } from '../../protocols/fleet/health.ts';
import { MAX_REPORTED_DEVICES } from '../../protocols/fleet/health.ts';

export interface HealthSources {
  readonly version: string;
  readonly bootId: string;
  /** Seconds since the agent started (monotonic). */
  readonly uptimeS: () => number;
  readonly clockSynced: () => boolean;
  /** Relay clock − gateway clock as sync last saw it, ms. */
  readonly clockOffsetMs: () => number;
  readonly buffer: () => {
    readonly count: number;
    readonly bytes: number;
    readonly oldestTs: number | null;
    readonly evicted: { readonly ordinary: number; readonly dga: number; readonly alarm: number };
    readonly health: { readonly state: string };
  };
  readonly devices: () => ReadonlyArray<{
    readonly id: string;
    readonly health: { readonly state: DeviceLinkState; readonly polls: number; readonly goodPolls: number };
  }>;
  /** Null when the broker is off. */
  readonly brokerClients: () => number | null;
  readonly system: () => Promise<{
    readonly cpuTempC: number | null;
    readonly rssBytes: number;
    readonly memAvailableBytes: number;
    readonly disk: { readonly freeBytes: number; readonly totalBytes: number } | null;
  }>;
  /** The applied config's version when the relay manages it; null otherwise (remote configuration fills it). */
  readonly configVersion: () => string | null;
}

export async function buildHealthReport(s: HealthSources): Promise<HealthReport> {
  const buffer = s.buffer();
  const system = await s.system();
  return {
    version: s.version,
    uptimeS: Math.max(0, Math.floor(s.uptimeS())),
    bootId: s.bootId,
    clock: { synced: s.clockSynced(), offsetMs: Math.round(s.clockOffsetMs()) },
    buffer: {
      depth: buffer.count,
      bytes: buffer.bytes,
      oldestTs: buffer.oldestTs,
      evicted: { ordinary: buffer.evicted.ordinary, dga: buffer.evicted.dga, alarm: buffer.evicted.alarm },
      writable: buffer.health.state === 'writable',
    },
    devices: s
      .devices()
      .slice(0, MAX_REPORTED_DEVICES)
      .map((d) => ({
        id: d.id,
        state: d.health.state,
        // Three decimals are plenty for a rate and keep the report small.
        ok: d.health.polls === 0 ? null : Math.round((d.health.goodPolls / d.health.polls) * 1000) / 1000,
      })),
    brokerClients: s.brokerClients(),
    cpuTempC: system.cpuTempC,
    memory: { rssBytes: system.rssBytes, availableBytes: system.memAvailableBytes },
    disk: system.disk === null ? null : { freeBytes: system.disk.freeBytes, totalBytes: system.disk.totalBytes },
    configVersion: s.configVersion(),
  };
}

/**
 * What must reach the relay at once when it changes (the Fleet tab's flags and versions): the
 * figures that drift (uptime, memory, buffer depth) wait for the next periodic report.
 */
export function healthChangeKey(h: HealthReport): string {
  return JSON.stringify([h.version, h.configVersion, h.bootId, h.clock.synced, h.buffer.writable, h.devices.map((d) => [d.id, d.state])]);
}
