import type { HealthReport } from '../../protocols/fleet/health.ts';

/** A gateway's health report as an agent sends it on a fleet poll (issue 16): every field set, one device. */
export const SAMPLE_HEALTH: HealthReport = {
  version: '1.2.3',
  uptimeS: 42,
  bootId: '5f1c2e0a-1b2c-4d5e-8f90-a1b2c3d4e5f6',
  clock: { synced: true, offsetMs: 0 },
  buffer: { depth: 3, bytes: 4096, oldestTs: null, evicted: { ordinary: 0, dga: 0, alarm: 0 }, writable: true },
  devices: [{ id: 'gas-1', state: 'ok', ok: 1 }],
  brokerClients: 0,
  cpuTempC: 48.5,
  memory: { rssBytes: 80_000_000, availableBytes: 500_000_000 },
  disk: { freeBytes: 10_000_000_000, totalBytes: 30_000_000_000 },
  configVersion: null,
};
