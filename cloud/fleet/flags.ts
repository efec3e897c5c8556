/**
 * Health flags of a gateway's latest report, as the Fleet tab and GET /v1/fleet show them: each
 * names something a person should look at. Thresholds here, with their reasons.
 */
import type { HealthReport } from '../../protocols/fleet/health.ts';

export const HEALTH_FLAGS = ['clock_unsynced', 'buffer_backlog', 'buffer_unwritable', 'device_down', 'disk_low', 'hot_cpu'] as const;
export type HealthFlag = (typeof HEALTH_FLAGS)[number];

/** A buffered record older than this when reported means sync is not keeping up (it drains every second when the link is up), ms. */
export const BACKLOG_AGE_MS = 10 * 60_000;
/** Below this share of the buffer's filesystem free, or below DISK_LOW_BYTES, the disk is low. */
export const DISK_LOW_SHARE = 0.1;
export const DISK_LOW_BYTES = 256 * 1024 * 1024;
/** °C: a Raspberry Pi starts throttling at 80 °C (soft limit from 60 °C on the Pi 4's firmware is configurable). */
export const HOT_CPU_C = 80;

/** The flags of `health`, reported at `reportedAt` (relay clock) by a gateway whose clock is off by health.clock.offsetMs. */
export function healthFlags(health: HealthReport, reportedAt: number): HealthFlag[] {
  const flags: HealthFlag[] = [];
  if (!health.clock.synced) flags.push('clock_unsynced');
  const oldest = health.buffer.oldestTs;
  // oldestTs is on the gateway's clock: moved onto the relay's by the offset sync measured.
  if (oldest !== null && reportedAt - (oldest + health.clock.offsetMs) > BACKLOG_AGE_MS) flags.push('buffer_backlog');
  if (!health.buffer.writable) flags.push('buffer_unwritable');
  if (health.devices.some((d) => d.state === 'failing' || d.state === 'backoff')) flags.push('device_down');
  const disk = health.disk;
  if (disk !== null && (disk.freeBytes < DISK_LOW_BYTES || disk.freeBytes < disk.totalBytes * DISK_LOW_SHARE)) flags.push('disk_low');
  if (health.cpuTempC !== null && health.cpuTempC >= HOT_CPU_C) flags.push('hot_cpu');
  return flags;
}
