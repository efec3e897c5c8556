import type { Registry } from 'prom-client';
import { scrapedCounter, scrapedGauge } from '../../platform/metrics.ts';
import type { Clock } from '../../protocols/clock.ts';
import { ALARM_LEVELS } from '../../protocols/records.ts';
import type { ActiveAlarm } from '../alarms/engine.ts';
import type { BufferStats } from '../buffer/buffer.ts';

export interface BufferSources {
  readonly buffer: { stats(): BufferStats };
  readonly alarms: () => readonly ActiveAlarm[];
}

/** The store-and-forward buffer and the alarms held by the engine, read when scraped. */
export function registerBufferMetrics(registry: Registry, sources: BufferSources, clock: Clock): void {
  const stats = (): BufferStats => sources.buffer.stats();
  scrapedGauge(registry, {
    name: 'atalaya_buffer_records',
    help: 'Records held in the buffer (committed, not yet released or evicted)',
    read: () => stats().count,
  });
  scrapedGauge(registry, {
    name: 'atalaya_buffer_bytes',
    help: 'Size of the buffer database, bytes (pages in use; the WAL comes on top)',
    read: () => stats().bytes,
  });
  scrapedGauge(registry, { name: 'atalaya_buffer_pending_records', help: 'Records queued for the next group commit', read: () => stats().pending });
  scrapedGauge(registry, {
    name: 'atalaya_buffer_oldest_age_seconds',
    help: 'Age of the oldest record held, seconds (gateway wall clock); absent when the buffer is empty',
    read: () => {
      const oldest = stats().oldestTs;
      return oldest === null ? null : Math.max(0, clock.now() - oldest) / 1000;
    },
  });
  scrapedCounter(registry, {
    name: 'atalaya_buffer_committed_records_total',
    help: 'Records committed to the buffer since it was created (the highest seq)',
    read: () => stats().lastSeq,
  });
  scrapedCounter(registry, {
    name: 'atalaya_buffer_evicted_total',
    help: 'Records evicted unsent since the buffer was created, by priority class (ordinary, dga, alarm)',
    labelNames: ['class'],
    read: () => Object.entries(stats().evicted).map(([cls, n]) => [{ class: cls }, n] as const),
  });
  scrapedGauge(registry, {
    name: 'atalaya_buffer_writable',
    help: '1 while the last group commit succeeded, 0 while commits fail (disk full, I/O error): readings are being lost',
    read: () => (stats().health.state === 'writable' ? 1 : 0),
  });
  scrapedCounter(registry, {
    name: 'atalaya_buffer_write_failures_total',
    help: 'Group commits that failed since the agent started (disk full, I/O error)',
    read: () => stats().health.failedCommits,
  });
  scrapedCounter(registry, {
    name: 'atalaya_buffer_lost_records_total',
    help: 'Records never stored since the agent started: in failed group commits, or refused while commits failed',
    read: () => stats().health.lostRecords,
  });
  scrapedGauge(registry, {
    name: 'atalaya_buffer_reserve_active',
    help: '1 while the filesystem has less than buffer.minFreeBytes free and the buffer is held below maxBytes',
    read: () => (stats().health.reserveActive ? 1 : 0),
  });
  const byLevel = (keep: (a: ActiveAlarm) => boolean) => () => {
    const active = sources.alarms();
    return ALARM_LEVELS.map((level) => [{ level }, active.filter((a) => a.level === level && keep(a)).length] as const);
  };
  scrapedGauge(registry, {
    name: 'atalaya_alarms_active',
    help: 'Alarms raised or waiting for an acknowledgement, by level',
    labelNames: ['level'],
    read: byLevel(() => true),
  });
  scrapedGauge(registry, {
    name: 'atalaya_alarms_unacknowledged',
    help: 'Active alarms nobody has acknowledged yet, by level',
    labelNames: ['level'],
    read: byLevel((a) => a.state === 'raised'),
  });
}
