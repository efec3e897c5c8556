import { z } from 'zod';

/**
 * The `fleet:` section: the signed channel to the relay that carries health reports and, through
 * fleet parts, remote configuration, commands and updates (agent/fleet/README.md). It uses the
 * relay URL and gateway secret of `sync:`.
 */
export const fleetConfigSchema = z.strictObject({
  enabled: z.boolean().optional().describe('Poll the relay for fleet management; default: true when sync is enabled'),
  intervalMs: z
    .number()
    .int()
    .min(1000)
    .max(86_400_000)
    .default(60_000)
    .describe(
      'Longest time between two polls, ms, 1000..86400000; the relay shows a gateway offline after fleet.offlineAfterMs without one. A poll due within half of it goes right after a sync',
    ),
  healthIntervalMs: z
    .number()
    .int()
    .min(1000)
    .max(86_400_000)
    .default(300_000)
    .describe(
      'Longest time between two full health reports, ms, 1000..86400000; a poll carries one sooner when a device link, the clock trust, the buffer writability or a version changes. Other polls only say the gateway is alive (an idle hour at the defaults: ~43 KB)',
    ),
  timeoutMs: z.number().int().min(100).max(600_000).default(30_000).describe('Whole-request deadline of a poll, ms, 100..600000'),
});

export type FleetConfig = z.output<typeof fleetConfigSchema>;
