/**
 * The fleet in the relay's Prometheus registry (issue 16 §1): per-gateway gauges from the latest
 * health reports, read from the database at scrape time through the metrics cache (one query set
 * per period however many metrics and scrapers). The way Prometheus sees gateways behind
 * cellular NAT, where nobody can scrape the Pi itself.
 */
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { scrapedGauge } from '../../platform/metrics.ts';
import type { Clock } from '../../protocols/clock.ts';
import type { HealthReport } from '../../protocols/fleet/health.ts';
import { Cached } from '../metrics/cache.ts';
import type { FleetGatewayRow, FleetStore } from '../store/fleet-types.ts';
import type { RelayStore } from '../store/types.ts';
import { type FleetRow, fleetRow } from './view.ts';

interface Snapshot {
  readonly now: number;
  readonly gateways: ReadonlyArray<{ readonly row: FleetRow; readonly polled: FleetGatewayRow | undefined }>;
}

export interface FleetMetricsSources {
  readonly records: Pick<RelayStore, 'listGateways'>;
  readonly fleet: Pick<FleetStore, 'listFleet'>;
  readonly offlineAfterMs: number;
  readonly clock: Clock;
  readonly logger: Logger;
  /** How long a database answer is reused, ms (the relay's metrics cache period). */
  readonly cacheMs: number;
}

export function registerFleetMetrics(registry: Registry, s: FleetMetricsSources): void {
  const log = s.logger.child({ component: 'metrics' });
  const snapshot = new Cached<Snapshot>(
    async () => {
      const [gateways, polled] = await Promise.all([s.records.listGateways(), s.fleet.listFleet()]);
      const byId = new Map(polled.map((p) => [p.gateway, p]));
      const ids = [...new Set([...gateways.map((g) => g.id), ...byId.keys()])].sort();
      const now = s.clock.now();
      return { now, gateways: ids.map((id) => ({ row: fleetRow(id, byId.get(id), now, s.offlineAfterMs), polled: byId.get(id) })) };
    },
    s.cacheMs,
    s.clock,
    (err) => log.warn({ err, source: 'fleet' }, 'metrics source failed'),
  );
  const each = (value: (row: FleetRow, health: HealthReport | null) => number | null) => async () => {
    const snap = await snapshot.get();
    if (snap === undefined) return null;
    return snap.gateways.flatMap(({ row, polled }) => {
      const v = value(row, polled?.health ?? null);
      return v === null ? [] : [[{ gateway: row.id }, v] as const];
    });
  };
  scrapedGauge(registry, {
    name: 'atalaya_relay_fleet_gateways',
    help: 'Provisioned gateways by fleet state: online (polled within fleet.offlineAfterMs) or offline',
    labelNames: ['state'],
    read: async () => {
      const snap = await snapshot.get();
      if (snap === undefined) return null;
      const online = snap.gateways.filter((g) => g.row.online).length;
      return [
        [{ state: 'online' }, online],
        [{ state: 'offline' }, snap.gateways.length - online],
      ];
    },
  });
  scrapedGauge(registry, {
    name: 'atalaya_relay_fleet_gateway_online',
    help: '1 while the gateway polls within fleet.offlineAfterMs, else 0',
    labelNames: ['gateway'],
    read: each((r) => (r.online ? 1 : 0)),
  });
  // Computed at scrape time from the cached instant, so it keeps growing between database reads.
  scrapedGauge(registry, {
    name: 'atalaya_relay_fleet_gateway_last_poll_age_seconds',
    help: 'Seconds since the gateway last polled the fleet channel (relay clock); absent before its first poll',
    labelNames: ['gateway'],
    read: each((r) => (r.lastSeenAt === null ? null : Math.max(0, s.clock.now() - r.lastSeenAt) / 1000)),
  });
  const fromHealth = (name: string, help: string, value: (h: HealthReport) => number | null): void => {
    scrapedGauge(registry, { name, help, labelNames: ['gateway'], read: each((_r, h) => (h === null ? null : value(h))) });
  };
  fromHealth(
    'atalaya_relay_fleet_gateway_buffer_records',
    'Records in the gateway’s buffer not yet acknowledged, at its last health report',
    (h) => h.buffer.depth,
  );
  fromHealth(
    'atalaya_relay_fleet_gateway_disk_free_bytes',
    'Free bytes of the filesystem holding the gateway’s buffer, at its last report',
    (h) => h.disk?.freeBytes ?? null,
  );
  fromHealth(
    'atalaya_relay_fleet_gateway_cpu_temperature_celsius',
    'Gateway CPU temperature at its last report, °C; absent without a thermal zone',
    (h) => h.cpuTempC,
  );
  fromHealth('atalaya_relay_fleet_gateway_memory_rss_bytes', 'Resident memory of the gateway’s agent at its last report, bytes', (h) => h.memory.rssBytes);
  fromHealth('atalaya_relay_fleet_gateway_memory_available_bytes', 'MemAvailable of the gateway at its last report, bytes', (h) => h.memory.availableBytes);
  fromHealth(
    'atalaya_relay_fleet_gateway_device_links_up',
    'Polled devices answering (state ok) at the gateway’s last report',
    (h) => h.devices.filter((d) => d.state === 'ok').length,
  );
  fromHealth('atalaya_relay_fleet_gateway_devices', 'Polled devices the gateway reported', (h) => h.devices.length);
  fromHealth('atalaya_relay_fleet_gateway_clock_synced', '1 when the gateway trusted its wall clock at its last report, else 0', (h) =>
    h.clock.synced ? 1 : 0,
  );
  fromHealth('atalaya_relay_fleet_gateway_uptime_seconds', 'Seconds the gateway’s agent had been running at its last report', (h) => h.uptimeS);
  scrapedGauge(registry, {
    name: 'atalaya_relay_fleet_gateway_info',
    help: 'Always 1: the agent version and applied config version of the gateway’s last report',
    labelNames: ['gateway', 'version', 'config_version'],
    read: async () => {
      const snap = await snapshot.get();
      if (snap === undefined) return null;
      return snap.gateways.flatMap(({ row }) =>
        row.version === null ? [] : [[{ gateway: row.id, version: row.version, config_version: row.configVersion ?? '' }, 1] as const],
      );
    },
  });
}
