import type { Registry } from 'prom-client';
import { scrapedCounter } from '../../platform/metrics.ts';
import type { MappingStats } from './mapping-ingest.ts';

/** The mappings' counts (mqtt.mappings), read from the broker when scraped; nothing without mappings. */
export function registerMappingMetrics(registry: Registry, stats: () => Record<string, MappingStats> | null | undefined): void {
  const per = (pick: (s: MappingStats) => number) => () => {
    const all = stats();
    return all == null ? null : Object.entries(all).map(([mapping, s]) => [{ mapping }, pick(s)] as const);
  };
  scrapedCounter(registry, {
    name: 'atalaya_mqtt_mapping_messages_total',
    help: 'Messages on mapped topics stored (records committed) since start, by mapping',
    labelNames: ['mapping'],
    read: per((s) => s.messages),
  });
  scrapedCounter(registry, {
    name: 'atalaya_mqtt_mapping_records_total',
    help: 'Records made from mapped topics since start, by mapping',
    labelNames: ['mapping'],
    read: per((s) => s.records),
  });
  scrapedCounter(registry, {
    name: 'atalaya_mqtt_mapping_missing_values_total',
    help: 'Mapped values absent from their message (or Sparkplug is_null) since start, by mapping',
    labelNames: ['mapping'],
    read: per((s) => s.missing),
  });
  scrapedCounter(registry, {
    name: 'atalaya_mqtt_mapping_refused_total',
    help: 'Messages on mapped topics acknowledged and dropped since start, by mapping ((none): no mapping matched) and reason',
    labelNames: ['mapping', 'reason'],
    read: () => {
      const all = stats();
      if (all == null) return null;
      return Object.entries(all).flatMap(([mapping, s]) => Object.entries(s.refused).map(([reason, n]) => [{ mapping, reason }, n ?? 0] as const));
    },
  });
  scrapedCounter(registry, {
    name: 'atalaya_mqtt_sparkplug_gaps_total',
    help: 'Sparkplug B sequence gaps since start, by mapping and kind: seq (messages of a node lost), bdseq (sessions of a node never seen)',
    labelNames: ['mapping', 'kind'],
    read: () => {
      const all = stats();
      if (all == null) return null;
      return Object.entries(all).flatMap(([mapping, s]) =>
        s.sparkplug === undefined
          ? []
          : ([
              [{ mapping, kind: 'seq' }, s.sparkplug.seqGaps],
              [{ mapping, kind: 'bdseq' }, s.sparkplug.bdSeqGaps],
            ] as const),
      );
    },
  });
  scrapedCounter(registry, {
    name: 'atalaya_mqtt_sparkplug_unknown_metrics_total',
    help: 'Sparkplug B DATA metrics dropped since start because no BIRTH of the session declared their alias, by mapping',
    labelNames: ['mapping'],
    read: () => {
      const all = stats();
      if (all == null) return null;
      return Object.entries(all).flatMap(([mapping, s]) => (s.sparkplug === undefined ? [] : [[{ mapping }, s.sparkplug.unknownMetrics] as const]));
    },
  });
}
