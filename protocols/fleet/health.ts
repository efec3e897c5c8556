/**
 * The health report a gateway sends with its fleet polls (issue 16 §1): small (well under 1 KB
 * gzipped for a gateway with a few devices), every figure as the agent's status page shows it.
 * Objects are not strict: a newer agent may add fields an older relay ignores (they are dropped).
 */
import { z } from 'zod';

const count = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const ms = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const label = z.string().min(1).max(64);

/** How the agent sees one polled device (agent/modbus/health.ts DeviceState). */
export const DEVICE_LINK_STATES = ['unknown', 'ok', 'failing', 'backoff'] as const;
export type DeviceLinkState = (typeof DEVICE_LINK_STATES)[number];

/** At most this many devices are reported: a gateway polls tens, never thousands. */
export const MAX_REPORTED_DEVICES = 256;

export const deviceHealthSchema = z.object({
  id: label,
  state: z.enum(DEVICE_LINK_STATES),
  /** Polls answered / polls since the agent started, 0..1; null before the first poll. */
  ok: z.number().min(0).max(1).nullable(),
});

export const healthReportSchema = z.object({
  /** Agent version (package.json). */
  version: label,
  /** Seconds since the agent process started (monotonic). */
  uptimeS: count,
  /** /proc/sys/kernel/random/boot_id: a new one means the gateway rebooted. */
  bootId: label,
  clock: z.object({
    /** Whether the agent trusts its wall clock (agent/sync/clock.ts). */
    synced: z.boolean(),
    /** Relay clock − gateway clock as the sync client last saw it, ms; 0 within its 30 s threshold. */
    offsetMs: z.number().int().min(-Number.MAX_SAFE_INTEGER).max(Number.MAX_SAFE_INTEGER),
  }),
  buffer: z.object({
    /** Records not yet acknowledged by the relay. */
    depth: count,
    bytes: count,
    /** Timestamp of the oldest buffered record, ms since the epoch; null when empty. */
    oldestTs: ms.nullable(),
    /** Records evicted since the buffer file was created, by class. */
    evicted: z.object({ ordinary: count, dga: count, alarm: count }),
    /** False while commits fail (disk full, I/O error). */
    writable: z.boolean(),
  }),
  devices: z.array(deviceHealthSchema).max(MAX_REPORTED_DEVICES),
  /** MQTT clients connected to the embedded broker; null when the broker is off. */
  brokerClients: count.nullable(),
  /** °C; null when the machine exposes no thermal zone. */
  cpuTempC: z.number().min(-100).max(200).nullable(),
  memory: z.object({ rssBytes: count, availableBytes: count }),
  /** Free and total bytes of the buffer's filesystem; null when statfs fails. */
  disk: z.object({ freeBytes: count, totalBytes: count }).nullable(),
  /** Version of the applied agent config when the relay manages it (remote configuration); null otherwise. */
  configVersion: z.string().max(128).nullable(),
});

export type DeviceHealthReport = z.output<typeof deviceHealthSchema>;
export type HealthReport = z.output<typeof healthReportSchema>;
