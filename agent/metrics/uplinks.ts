import type { Registry } from 'prom-client';
import { scrapedCounter, scrapedGauge } from '../../platform/metrics.ts';
import type { Clock } from '../../protocols/clock.ts';
import type { BrokerStats } from '../broker/broker.ts';
import type { SyncState, SyncStatus } from '../sync/types.ts';

export interface UplinkSources {
  /** null when sync is disabled: the sync metrics are then absent. */
  readonly sync: () => SyncStatus | null;
  /** null when the MQTT broker is disabled. */
  readonly broker: () => BrokerStats | null;
}

const SYNC_STATES: readonly SyncState[] = ['idle', 'sending', 'backoff', 'refused', 'stopped'];

/** Where records leave the gateway: the sync client towards the relay, and the MQTT broker. */
export function registerUplinkMetrics(registry: Registry, sources: UplinkSources, clock: Clock): void {
  const sync =
    <T>(pick: (s: SyncStatus) => T): (() => T | null) =>
    () => {
      const s = sources.sync();
      return s === null ? null : pick(s);
    };
  scrapedGauge(registry, {
    name: 'atalaya_sync_lag_records',
    help: 'Records in the buffer not yet acknowledged by the relay',
    read: sync((s) => s.lagRecords),
  });
  scrapedGauge(registry, {
    name: 'atalaya_sync_last_ack_age_seconds',
    help: 'Seconds since the relay last acknowledged a batch (gateway wall clock); absent before the first',
    read: sync((s) => (s.lastAckAt === null ? null : Math.max(0, clock.now() - s.lastAckAt) / 1000)),
  });
  scrapedCounter(registry, {
    name: 'atalaya_sync_sent_records_total',
    help: 'Records acknowledged by the relay since the agent started',
    read: sync((s) => s.sentRecords),
  });
  scrapedCounter(registry, {
    name: 'atalaya_sync_sent_bytes_total',
    help: 'Request bytes (gzip bodies) of acknowledged batches since the agent started',
    read: sync((s) => s.sentBytes),
  });
  scrapedGauge(registry, { name: 'atalaya_sync_consecutive_failures', help: 'Sync attempts in a row that failed', read: sync((s) => s.consecutiveFailures) });
  scrapedGauge(registry, {
    name: 'atalaya_sync_quarantined_records',
    help: 'Buffered records the record check refuses (written before append checked them), moved to the buffer quarantine table and never sent; since the buffer file was created',
    read: sync((s) => s.quarantinedRecords),
  });
  scrapedGauge(registry, {
    name: 'atalaya_sync_state',
    help: '1 for the current state of the sync client (idle, sending, backoff, refused, stopped)',
    labelNames: ['state'],
    read: () => {
      const s = sources.sync();
      return s === null ? null : SYNC_STATES.map((state) => [{ state }, s.state === state ? 1 : 0] as const);
    },
  });

  const broker =
    <T>(pick: (b: BrokerStats) => T): (() => T | null) =>
    () => {
      const b = sources.broker();
      return b === null ? null : pick(b);
    };
  scrapedGauge(registry, { name: 'atalaya_mqtt_clients', help: 'MQTT clients connected to the embedded broker', read: broker((b) => b.clients) });
  scrapedCounter(registry, {
    name: 'atalaya_mqtt_messages_total',
    help: 'MQTT PUBLISHes: in = accepted from clients, out = records republished on the gateway tree',
    labelNames: ['direction'],
    read: broker(
      (b) =>
        [
          [{ direction: 'in' }, b.published],
          [{ direction: 'out' }, b.republished],
        ] as const,
    ),
  });
  scrapedCounter(registry, {
    name: 'atalaya_mqtt_records_stored_total',
    help: 'Records appended to the buffer from MQTT ingest',
    read: broker((b) => b.stored),
  });
  scrapedCounter(registry, {
    name: 'atalaya_mqtt_duplicates_total',
    help: 'MQTT ingest messages acknowledged without storing (repeated device seq)',
    read: broker((b) => b.duplicates),
  });
  scrapedCounter(registry, {
    name: 'atalaya_mqtt_refused_total',
    help: 'Messages, subscriptions and connections the broker refused, by reason',
    labelNames: ['reason'],
    read: broker((b) => Object.entries(b.refused).map(([reason, n]) => [{ reason }, n] as const)),
  });
}
