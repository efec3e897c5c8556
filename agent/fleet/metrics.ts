import type { Registry } from 'prom-client';
import { scrapedCounter, scrapedGauge } from '../../platform/metrics.ts';
import type { FleetStatus } from './client.ts';

/** The fleet channel's figures, read from the FleetClient when scraped; nothing when fleet is off. */
export function registerFleetMetrics(registry: Registry, status: () => FleetStatus | null): void {
  scrapedCounter(registry, {
    name: 'atalaya_fleet_polls_total',
    help: 'Fleet polls sent to the relay since start',
    read: () => status()?.polls ?? null,
  });
  scrapedCounter(registry, {
    name: 'atalaya_fleet_poll_failures_total',
    help: 'Fleet polls without a usable answer since start (relay unreachable, refused, or an answer discarded)',
    read: () => status()?.failures ?? null,
  });
  scrapedCounter(registry, {
    name: 'atalaya_fleet_rejected_answers_total',
    help: 'Fleet answers discarded since start because they lacked a valid relay signature for the poll sent',
    read: () => status()?.rejectedAnswers ?? null,
  });
  scrapedGauge(registry, {
    name: 'atalaya_fleet_last_answer_timestamp_seconds',
    help: 'Gateway wall clock of the last verified fleet answer, seconds since the epoch; absent before the first',
    read: () => {
      const at = status()?.lastAnswerAt ?? null;
      return at === null ? null : at / 1000;
    },
  });
}
