/**
 * Alert metrics (issue 13 §6): deliveries counted as they finish, open alerts read from the
 * database at scrape time (one grouped query, cached like the other database-backed gauges).
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Clock } from '../../protocols/clock.ts';
import type { AlertsStore } from '../store/alerts-types.ts';
import { Cached } from './cache.ts';

export function registerAlertMetrics(registry: Registry, store: Pick<AlertsStore, 'openCounts'>, clock: Clock, ttlMs = 10_000): (channel: string, outcome: 'sent' | 'failed' | 'given_up') => void {
  const deliveries = new Counter({
    name: 'atalaya_relay_alert_deliveries_total',
    help: 'Alert message attempts by channel and outcome (sent, failed: will retry, given_up)',
    labelNames: ['channel', 'outcome'] as const,
    registers: [registry],
  });
  const open = new Cached(() => store.openCounts(), ttlMs, clock, () => undefined);
  new Gauge({
    name: 'atalaya_relay_alerts_open',
    help: 'Open alerts by kind and severity',
    labelNames: ['kind', 'severity'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const r of (await open.get()) ?? []) this.set({ kind: r.kind, severity: r.severity }, r.n);
    },
  });
  return (channel, outcome) => deliveries.inc({ channel, outcome });
}
