import type { Registry } from 'prom-client';
import { scrapedCounter, scrapedGauge } from '../../platform/metrics.ts';
import type { PagerStatus } from './pager.ts';

/** Local paging's figures, read from the pager when scraped; nothing when paging is off. */
export function registerPagingMetrics(registry: Registry, status: () => PagerStatus | null): void {
  const byChannel = (pick: (s: PagerStatus) => PagerStatus['sent']) => () => {
    const s = status();
    if (s === null) return null;
    return s.channels.map((channel) => [{ channel }, pick(s)[channel] ?? 0] as const);
  };
  scrapedCounter(registry, {
    name: 'atalaya_pages_sent_total',
    help: 'Local pages delivered since start, by channel',
    labelNames: ['channel'],
    read: byChannel((s) => s.sent),
  });
  scrapedCounter(registry, {
    name: 'atalaya_pages_failed_total',
    help: 'Local page attempts that failed since start, by channel',
    labelNames: ['channel'],
    read: byChannel((s) => s.failed),
  });
  scrapedGauge(registry, {
    name: 'atalaya_pages_pending',
    help: 'Alarm transitions waiting for the relay or being paged locally',
    read: () => status()?.pending ?? null,
  });
}
