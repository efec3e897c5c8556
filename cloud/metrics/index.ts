/**
 * Prometheus metrics of the relay (issue 7), served at GET /metrics behind the operator tokens.
 * One Registry per relay, made here and never the global default one. Ingest outcomes are
 * counted as requests finish; the state of gateways, DGA reporting and anchoring is read from the
 * database when scraped, through a cache, so scrapes cost the database one query set per period.
 */
import type { Logger } from 'pino';
import { Counter, collectDefaultMetrics, Registry } from 'prom-client';
import type { Clock } from '../../protocols/clock.ts';
import type { DgaEngine } from '../dga/engine.ts';
import type { AlertsStore } from '../store/alerts-types.ts';
import type { AnchorStore } from '../store/anchor-types.ts';
import type { RelayStore } from '../store/types.ts';
import { type AlertDeliveryObserver, registerAlertMetrics } from './alerts.ts';
import { Cached } from './cache.ts';
import { registerGatewayMetrics } from './gateways.ts';
import { type IngestObserver, registerIngestMetrics } from './ingest.ts';
import { registerReportingMetrics } from './reporting.ts';

/** Shortest reuse of a database answer, ms: Prometheus' usual scrape interval is 15 s. */
export const MIN_CACHE_MS = 5_000;
const DEFAULT_CACHE_MS = 10_000;

export interface RelayMetricsSources {
  readonly store: Pick<RelayStore, 'listGateways'>;
  /** Read at scrape time: the engine while DGA reporting runs, else undefined. */
  readonly dga?: () => Pick<DgaEngine, 'status'> | undefined;
  /** Read at scrape time: anchoring while it runs, else undefined. */
  readonly anchor?: () => { readonly store: Pick<AnchorStore, 'stats'> } | undefined;
  /** Read at scrape time: the alerts store while alerts run, else undefined. */
  readonly alerts?: () => Pick<AlertsStore, 'openCounts'> | undefined;
  readonly clock: Clock;
  readonly logger: Logger;
  /** How long a database answer is reused, ms; at least MIN_CACHE_MS (default 10 000). */
  readonly cacheMs?: number;
}

export interface RelayMetrics {
  readonly registry: Registry;
  readonly observeIngest: IngestObserver;
  readonly observeAlertDelivery: AlertDeliveryObserver;
}

export type { IngestObserver } from './ingest.ts';
export { INGEST_ACCEPTED, ingestOutcome } from './ingest.ts';

export function createRelayMetrics(sources: RelayMetricsSources): RelayMetrics {
  const registry = new Registry();
  const log = sources.logger.child({ component: 'metrics' });
  const ttl = Math.max(MIN_CACHE_MS, sources.cacheMs ?? DEFAULT_CACHE_MS);
  collectDefaultMetrics({ register: registry });
  const failed =
    (source: string) =>
    (err: unknown): void => {
      failures.inc({ source });
      log.warn({ err, source }, 'metrics source failed');
    };
  const gateways = new Cached(() => sources.store.listGateways(), ttl, sources.clock, failed('gateways'));
  const dga = new Cached(async () => (await sources.dga?.()?.status()) ?? null, ttl, sources.clock, failed('dga'));
  const anchor = new Cached(async () => (await sources.anchor?.()?.store.stats()) ?? null, ttl, sources.clock, failed('anchor'));
  const alerts = new Cached(async () => (await sources.alerts?.()?.openCounts()) ?? null, ttl, sources.clock, failed('alerts'));
  const failures = new Counter({
    name: 'atalaya_relay_metrics_source_errors_total',
    help: 'Scrape-time reads that failed, by source (gateways, dga, anchor, alerts); their metrics are absent meanwhile',
    labelNames: ['source'] as const,
    registers: [registry],
    // Refresh the sources first, so a failure shows up in the very scrape that met it.
    async collect() {
      await Promise.all([gateways.get(), dga.get(), anchor.get(), alerts.get()]);
    },
  });
  const observeIngest = registerIngestMetrics(registry);
  registerGatewayMetrics(registry, () => gateways.get(), sources.clock);
  registerReportingMetrics(registry, {
    dga: async () => (await dga.get()) ?? undefined,
    anchor: async () => (await anchor.get()) ?? undefined,
  });
  const observeAlertDelivery = registerAlertMetrics(registry, async () => (await alerts.get()) ?? undefined);
  return { registry, observeIngest, observeAlertDelivery };
}
