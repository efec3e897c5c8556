import { z } from 'zod';

/** The relay's `fleet:` section (cloud/fleet/README.md). Nothing to enable: the channel is always on. */
export const fleetConfigSchema = z.strictObject({
  offlineAfterMs: z
    .number()
    .int()
    .min(1000)
    .max(7 * 86_400_000)
    .default(180_000)
    .describe('A gateway with no poll for this long is shown offline, ms, 1000..604800000 (default 3 × the agent’s 60 s fleet.intervalMs)'),
  historyMs: z
    .number()
    .int()
    .min(60_000)
    .max(90 * 86_400_000)
    .default(86_400_000)
    .describe('How long each gateway’s health history is kept, ms, 60000..7776000000 (default 24 h)'),
  maxPollBytes: z
    .number()
    .int()
    .min(1024)
    .max(16_777_216)
    .default(262_144)
    .describe('Largest poll, gzip body and inflated JSON alike, bytes, 1024..16777216; larger → 413 too_large'),
});

export type FleetConfig = z.output<typeof fleetConfigSchema>;
