import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';

/**
 * Linux boot id: changes at every boot, so (bootId, monotonic ms) places a reading in time even
 * when the wall clock was wrong (a Pi has no RTC). Elsewhere a per-process id stands in.
 */
export function readBootId(file = '/proc/sys/kernel/random/boot_id'): string {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return randomUUID();
  }
}
