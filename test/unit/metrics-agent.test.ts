import { register as globalRegistry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { ActiveAlarm } from '../../agent/alarms/engine.ts';
import type { BrokerStats } from '../../agent/broker/broker.ts';
import { REFUSAL_REASONS } from '../../agent/broker/counters.ts';
import type { BufferStats } from '../../agent/buffer/buffer.ts';
import { type AgentMetricsSources, createAgentMetrics } from '../../agent/metrics/index.ts';
import type { LinkStats } from '../../agent/modbus/link.ts';
import type { SyncStatus } from '../../agent/sync/types.ts';
import { parseExposition, value } from '../helpers/prom.ts';

const NOW = 1_750_000_000_000;
const clock = { now: () => NOW, monotonic: () => 1 };

function buffer(over: Partial<BufferStats> = {}): BufferStats {
  return {
    count: 120,
    bytes: 65_536,
    oldestTs: NOW - 90_000,
    lastSeq: 4000,
    evicted: { ordinary: 7, dga: 1, alarm: 0 },
    pending: 3,
    health: { state: 'writable', failedCommits: 0, lostRecords: 0, lastErrorCode: null, since: null, freeBytes: null, reserveActive: false },
    ...over,
  };
}

const SYNC: SyncStatus = {
  state: 'backoff',
  lastAckAt: NOW - 30_000,
  lastError: null,
  consecutiveFailures: 2,
  sentRecords: 3880,
  sentBytes: 123_456,
  nextAttemptAt: NOW + 5000,
  lagRecords: 120,
  quarantinedRecords: 0,
};

const BROKER: BrokerStats = {
  clients: 2,
  published: 50,
  stored: 45,
  duplicates: 5,
  republished: 400,
  refused: { ...(Object.fromEntries(REFUSAL_REASONS.map((r) => [r, 0])) as BrokerStats['refused']), bad_json: 4 },
  pending: 3,
  closedBeforeAuth: { connect_timeout: 7, pending_limit: 2, oversized_packet: 1, malformed_length: 0 },
  auth: { passwordChecks: 12, failures: { bad_credentials: 9, not_authorized: 0, identifier_rejected: 0, throttled: 40, busy: 0, server_full: 0 } },
};

const alarm = (level: ActiveAlarm['level'], state: ActiveAlarm['state']): ActiveAlarm => ({
  device: 'gas',
  channel: 'ch4',
  rule: `r-${level}-${state}`,
  level,
  threshold: 1,
  state,
  latched: false,
  value: 2,
  ts: NOW,
});

const LINK: LinkStats = { transactions: 90, failures: 4, errors: { ATALAYA_MODBUS_TIMEOUT: 3, ATALAYA_MODBUS_CRC: 1 }, opens: 1, connected: true };

function sources(over: Partial<AgentMetricsSources> = {}): AgentMetricsSources {
  return {
    buffer: { stats: () => buffer() },
    sync: () => SYNC,
    broker: () => BROKER,
    alarms: () => [alarm('alarm', 'raised'), alarm('alarm', 'acknowledged'), alarm('warning', 'raised')],
    devices: () => [
      { id: 'gas', health: { state: 'ok', consecutiveFailures: 0 } },
      { id: 'flow', health: { state: 'backoff', consecutiveFailures: 6 } },
    ],
    links: () => [{ id: 'line-1', stats: LINK }],
    clock,
    ...over,
  };
}

const scrape = async (m: ReturnType<typeof createAgentMetrics>) => parseExposition(await m.registry.metrics());

describe('agent metrics', () => {
  it('shows a buffer that cannot write as one gauge and counts its failed commits and lost records', async () => {
    const health = {
      state: 'disk_full',
      failedCommits: 12,
      lostRecords: 600,
      lastErrorCode: 'SQLITE_FULL',
      since: NOW - 5000,
      freeBytes: 0,
      reserveActive: true,
    } as const;
    const f = await scrape(createAgentMetrics(sources({ buffer: { stats: () => buffer({ health }) } })));
    expect(value(f, 'atalaya_buffer_writable')).toBe(0);
    expect(f.get('atalaya_buffer_write_failures_total')?.type).toBe('counter');
    expect(value(f, 'atalaya_buffer_write_failures_total')).toBe(12);
    expect(value(f, 'atalaya_buffer_lost_records_total')).toBe(600);
    expect(value(f, 'atalaya_buffer_reserve_active')).toBe(1);
    const ok = await scrape(createAgentMetrics(sources()));
    expect(value(ok, 'atalaya_buffer_writable')).toBe(1);
    expect(value(ok, 'atalaya_buffer_write_failures_total')).toBe(0);
  });

  it('reads every part when scraped, with counter types for the cumulative counts', async () => {
    const f = await scrape(createAgentMetrics(sources()));
    expect(value(f, 'atalaya_buffer_records')).toBe(120);
    expect(value(f, 'atalaya_buffer_bytes')).toBe(65_536);
    expect(value(f, 'atalaya_buffer_oldest_age_seconds')).toBe(90);
    expect(value(f, 'atalaya_buffer_committed_records_total')).toBe(4000);
    expect(f.get('atalaya_buffer_evicted_total')?.type).toBe('counter');
    expect(value(f, 'atalaya_buffer_evicted_total', { class: 'ordinary' })).toBe(7);
    expect(value(f, 'atalaya_sync_lag_records')).toBe(120);
    expect(value(f, 'atalaya_sync_last_ack_age_seconds')).toBe(30);
    expect(f.get('atalaya_sync_sent_records_total')?.type).toBe('counter');
    expect(value(f, 'atalaya_sync_sent_records_total')).toBe(3880);
    expect(value(f, 'atalaya_sync_sent_bytes_total')).toBe(123_456);
    expect(value(f, 'atalaya_sync_consecutive_failures')).toBe(2);
    expect(value(f, 'atalaya_sync_state', { state: 'backoff' })).toBe(1);
    expect(value(f, 'atalaya_sync_state', { state: 'idle' })).toBe(0);
    expect(value(f, 'atalaya_mqtt_clients')).toBe(2);
    expect(value(f, 'atalaya_mqtt_messages_total', { direction: 'in' })).toBe(50);
    expect(value(f, 'atalaya_mqtt_messages_total', { direction: 'out' })).toBe(400);
    expect(value(f, 'atalaya_mqtt_refused_total', { reason: 'bad_json' })).toBe(4);
    expect(value(f, 'atalaya_mqtt_pending_connections')).toBe(3);
    expect(value(f, 'atalaya_mqtt_connections_closed_total', { reason: 'connect_timeout' })).toBe(7);
    expect(value(f, 'atalaya_mqtt_auth_failures_total', { reason: 'throttled' })).toBe(40);
    expect(value(f, 'atalaya_mqtt_password_checks_total')).toBe(12);
    expect(value(f, 'atalaya_alarms_active', { level: 'alarm' })).toBe(2);
    expect(value(f, 'atalaya_alarms_active', { level: 'warning' })).toBe(1);
    expect(value(f, 'atalaya_alarms_unacknowledged', { level: 'alarm' })).toBe(1);
    expect(value(f, 'atalaya_modbus_link_connected', { link: 'line-1' })).toBe(1);
    expect(value(f, 'atalaya_modbus_link_errors_total', { link: 'line-1', code: 'ATALAYA_MODBUS_TIMEOUT' })).toBe(3);
    expect(value(f, 'atalaya_modbus_device_up', { device: 'gas' })).toBe(1);
    expect(value(f, 'atalaya_modbus_device_up', { device: 'flow' })).toBe(0);
    expect(value(f, 'atalaya_modbus_device_consecutive_failures', { device: 'flow' })).toBe(6);
    // Node's default process metrics, on this registry.
    expect(f.get('process_resident_memory_bytes')?.type).toBe('gauge');
  });

  it('follows its sources from one scrape to the next', async () => {
    let stats = buffer();
    let alarms: ActiveAlarm[] = [alarm('alarm', 'raised')];
    const m = createAgentMetrics(sources({ buffer: { stats: () => stats }, alarms: () => alarms }));
    expect(value(await scrape(m), 'atalaya_alarms_active', { level: 'alarm' })).toBe(1);
    stats = buffer({ count: 0, oldestTs: null });
    alarms = [];
    const f = await scrape(m);
    expect(value(f, 'atalaya_buffer_records')).toBe(0);
    expect(value(f, 'atalaya_alarms_active', { level: 'alarm' })).toBe(0);
    // An empty buffer has no oldest record: the age is absent, not 0.
    expect(value(f, 'atalaya_buffer_oldest_age_seconds')).toBeUndefined();
  });

  it('leaves out what a disabled part cannot say, and what a stopping part fails to say', async () => {
    const f = await scrape(
      createAgentMetrics(
        sources({
          sync: () => null,
          broker: () => null,
          buffer: {
            stats: () => {
              throw new Error('buffer stopped');
            },
          },
        }),
      ),
    );
    for (const name of [
      'atalaya_sync_lag_records',
      'atalaya_sync_sent_records_total',
      'atalaya_mqtt_clients',
      'atalaya_buffer_records',
      'atalaya_buffer_oldest_age_seconds',
    ]) {
      expect(f.get(name)?.samples, name).toEqual([]);
    }
    expect(f.get('atalaya_sync_state')?.samples).toEqual([]);
    expect(value(f, 'atalaya_alarms_active', { level: 'alarm' })).toBe(2);
    const never = await scrape(createAgentMetrics(sources({ sync: () => ({ ...SYNC, lastAckAt: null }) })));
    expect(value(never, 'atalaya_sync_last_ack_age_seconds')).toBeUndefined();
  });

  it('counts polls by result and error code and observes their duration', async () => {
    const m = createAgentMetrics(sources());
    m.observePoll('gas', true, 12);
    m.observePoll('gas', true, 30);
    m.observePoll('gas', false, 1000, 'ATALAYA_MODBUS_TIMEOUT');
    const f = await scrape(m);
    expect(value(f, 'atalaya_modbus_polls_total', { device: 'gas', result: 'ok' })).toBe(2);
    expect(value(f, 'atalaya_modbus_polls_total', { device: 'gas', result: 'error' })).toBe(1);
    expect(value(f, 'atalaya_modbus_errors_total', { device: 'gas', code: 'ATALAYA_MODBUS_TIMEOUT' })).toBe(1);
    expect(value(f, 'atalaya_modbus_poll_duration_seconds_count', { device: 'gas' })).toBe(3);
    expect(value(f, 'atalaya_modbus_poll_duration_seconds_bucket', { device: 'gas', le: '0.025' })).toBe(1);
    expect(value(f, 'atalaya_modbus_poll_duration_seconds_sum', { device: 'gas' })).toBeCloseTo(1.042);
  });

  it('keeps each agent on its own registry, never the global one', async () => {
    const a = createAgentMetrics(sources());
    const b = createAgentMetrics(sources());
    a.observePoll('gas', true, 5);
    expect(value(await scrape(b), 'atalaya_modbus_polls_total', { device: 'gas', result: 'ok' })).toBeUndefined();
    expect(globalRegistry.getSingleMetric('atalaya_modbus_polls_total')).toBeUndefined();
  });
});
