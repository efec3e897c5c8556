/**
 * Alert metrics (issue 13 §6): deliveries counted as they finish; open alerts read from the
 * database at scrape time through the caller's cache (one grouped query per period).
 */
import { Counter, Gauge, type Registry } from 'prom-client';

export type AlertDeliveryObserver = (channel: string, outcome: 'sent' | 'failed' | 'given_up') => void;

export function registerAlertMetrics(
  registry: Registry,
  openCounts: () => Promise<ReadonlyArray<{ kind: string; severity: string; n: number }> | undefined>,
): AlertDeliveryObserver {
  const deliveries = new Counter({
    name: 'atalaya_relay_alert_deliveries_total',
    help: 'Alert message attempts by channel and outcome (sent; failed: will retry; given_up)',
    labelNames: ['channel', 'outcome'] as const,
    registers: [registry],
  });
  new Gauge({
    name: 'atalaya_relay_alerts_open',
    help: 'Open alerts by kind and severity (absent while alerts are disabled)',
    labelNames: ['kind', 'severity'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const r of (await openCounts()) ?? []) this.set({ kind: r.kind, severity: r.severity }, r.n);
    },
  });
  return (channel, outcome) => deliveries.inc({ channel, outcome });
}
