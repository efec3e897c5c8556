/**
 * The fleet as operators see it (GET /v1/fleet, the Fleet tab, the fleet metrics): every
 * provisioned gateway, online when its last poll is within fleet.offlineAfterMs, with the
 * summary of its latest health report.
 */
import type { HealthReport } from '../../protocols/fleet/health.ts';
import type { FleetGatewayRow, FleetStore } from '../store/fleet-types.ts';
import type { RelayStore } from '../store/types.ts';
import { type HealthFlag, healthFlags } from './flags.ts';

export interface FleetRow {
  readonly id: string;
  readonly online: boolean;
  /** Relay clock of the last accepted poll, ms; null: never polled. */
  readonly lastSeenAt: number | null;
  readonly version: string | null;
  readonly configVersion: string | null;
  readonly uptimeS: number | null;
  readonly flags: readonly HealthFlag[];
  readonly bufferDepth: number | null;
  readonly devicesUp: number | null;
  readonly devicesTotal: number | null;
  readonly cpuTempC: number | null;
  readonly diskFreeBytes: number | null;
  /** Relay clock of the latest health report, ms; null before one. */
  readonly healthAt: number | null;
}

export function fleetRow(id: string, polled: FleetGatewayRow | undefined, now: number, offlineAfterMs: number): FleetRow {
  const health: HealthReport | null = polled?.health ?? null;
  return {
    id,
    online: polled !== undefined && now - polled.lastPollAt <= offlineAfterMs,
    lastSeenAt: polled?.lastPollAt ?? null,
    version: health?.version ?? null,
    configVersion: health?.configVersion ?? null,
    uptimeS: health?.uptimeS ?? null,
    flags: health === null || polled?.healthAt == null ? [] : healthFlags(health, polled.healthAt),
    bufferDepth: health?.buffer.depth ?? null,
    devicesUp: health === null ? null : health.devices.filter((d) => d.state === 'ok').length,
    devicesTotal: health?.devices.length ?? null,
    cpuTempC: health?.cpuTempC ?? null,
    diskFreeBytes: health?.disk?.freeBytes ?? null,
    healthAt: polled?.healthAt ?? null,
  };
}

/** One row per provisioned gateway (and any that polled), by id. */
export async function fleetRows(
  stores: { readonly records: Pick<RelayStore, 'listGateways'>; readonly fleet: Pick<FleetStore, 'listFleet'> },
  now: number,
  offlineAfterMs: number,
): Promise<FleetRow[]> {
  const [gateways, polled] = await Promise.all([stores.records.listGateways(), stores.fleet.listFleet()]);
  const byId = new Map(polled.map((p) => [p.gateway, p]));
  const ids = [...new Set([...gateways.map((g) => g.id), ...byId.keys()])].sort();
  return ids.map((id) => fleetRow(id, byId.get(id), now, offlineAfterMs));
}
