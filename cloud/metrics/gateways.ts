import type { Registry } from 'prom-client';
import { scrapedGauge } from '../../platform/metrics.ts';
import type { Clock } from '../../protocols/clock.ts';
import type { GatewayRow } from '../store/types.ts';

/** Gateways as the store knows them; `rows` answers from the cache (undefined: store failed). */
export function registerGatewayMetrics(registry: Registry, rows: () => Promise<readonly GatewayRow[] | undefined>, clock: Clock): void {
  const each = (value: (g: GatewayRow) => number | null) => async () => {
    const all = await rows();
    if (all === undefined) return null;
    return all.flatMap((g) => {
      const v = value(g);
      return v === null ? [] : [[{ gateway: g.id }, v] as const];
    });
  };
  scrapedGauge(registry, {
    name: 'atalaya_relay_gateways',
    help: 'Gateways registered on the relay',
    read: async () => (await rows())?.length ?? null,
  });
  // The age is computed at scrape time from the cached last-seen instant, so it keeps growing
  // between database reads instead of stepping.
  scrapedGauge(registry, {
    name: 'atalaya_relay_gateway_last_seen_age_seconds',
    help: 'Seconds since the gateway last sent a stored batch (relay clock); absent before its first',
    labelNames: ['gateway'],
    read: each((g) => (g.lastSeenAt === null ? null : Math.max(0, clock.now() - g.lastSeenAt) / 1000)),
  });
  scrapedGauge(registry, {
    name: 'atalaya_relay_gateway_clock_offset_seconds',
    help: 'Relay clock minus gateway clock at its last batch, seconds (positive: the gateway is behind)',
    labelNames: ['gateway'],
    read: each((g) => (g.clockOffsetMs === null ? null : g.clockOffsetMs / 1000)),
  });
  scrapedGauge(registry, {
    name: 'atalaya_relay_gateway_records',
    help: 'Records stored for the gateway',
    labelNames: ['gateway'],
    read: each((g) => g.records),
  });
  scrapedGauge(registry, {
    name: 'atalaya_relay_gateway_highest_seq',
    help: "Highest record seq stored for the gateway; compare with the gateway's atalaya_buffer_committed_records_total",
    labelNames: ['gateway'],
    read: each((g) => g.highestSeq),
  });
}
