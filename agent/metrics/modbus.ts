import { Counter, Histogram, type Registry } from 'prom-client';
import { scrapedCounter, scrapedGauge } from '../../platform/metrics.ts';
import type { DeviceHealth } from '../modbus/health.ts';
import type { LinkStats } from '../modbus/link.ts';

export interface ModbusSources {
  readonly devices: () => ReadonlyArray<{ readonly id: string; readonly health: Pick<DeviceHealth, 'state' | 'consecutiveFailures'> }>;
  readonly links: () => ReadonlyArray<{ readonly id: string; readonly stats: LinkStats }>;
}

export type PollObserver = (device: string, ok: boolean, latencyMs: number, code?: string) => void;

/**
 * Whole-poll durations, seconds: a healthy TCP device answers in milliseconds, an RS-485 poll of
 * several requests at 9600 baud takes hundreds, and a dead device costs its timeout (up to
 * seconds) per attempt.
 */
const POLL_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Poll outcomes (counted as they happen) and the state of devices and links (read when scraped). */
export function registerModbusMetrics(registry: Registry, sources: ModbusSources): PollObserver {
  const polls = new Counter({
    name: 'atalaya_modbus_polls_total',
    help: 'Polls of a device: ok when every request of the poll was answered with data, error otherwise',
    labelNames: ['device', 'result'] as const,
    registers: [registry],
  });
  const errors = new Counter({
    name: 'atalaya_modbus_errors_total',
    help: 'Failed polls by the error code of their last failed request (ATALAYA_MODBUS_TIMEOUT, ATALAYA_MODBUS_EXCEPTION, ...)',
    labelNames: ['device', 'code'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'atalaya_modbus_poll_duration_seconds',
    help: 'Time one poll of a device held its line, all requests and retries included, failed polls too',
    labelNames: ['device'] as const,
    buckets: POLL_BUCKETS,
    registers: [registry],
  });
  scrapedGauge(registry, {
    name: 'atalaya_modbus_link_connected',
    help: '1 while the serial port or TCP connection of a link is open',
    labelNames: ['link'],
    read: () => sources.links().map((l) => [{ link: l.id }, l.stats.connected ? 1 : 0] as const),
  });
  scrapedCounter(registry, {
    name: 'atalaya_modbus_link_transactions_total',
    help: 'Modbus transactions sent on a link',
    labelNames: ['link'],
    read: () => sources.links().map((l) => [{ link: l.id }, l.stats.transactions] as const),
  });
  scrapedCounter(registry, {
    name: 'atalaya_modbus_link_errors_total',
    help: 'Failed transactions on a link by error code (timeouts, bad frames, exceptions, ...)',
    labelNames: ['link', 'code'],
    read: () => sources.links().flatMap((l) => Object.entries(l.stats.errors).map(([code, n]) => [{ link: l.id, code }, n] as const)),
  });
  scrapedGauge(registry, {
    name: 'atalaya_modbus_device_up',
    help: '1 while the device answers (health ok), 0 while failing, backed off or not polled yet',
    labelNames: ['device'],
    read: () => sources.devices().map((d) => [{ device: d.id }, d.health.state === 'ok' ? 1 : 0] as const),
  });
  scrapedGauge(registry, {
    name: 'atalaya_modbus_device_consecutive_failures',
    help: 'Polls in a row without an answer; the device is backed off past the configured threshold',
    labelNames: ['device'],
    read: () => sources.devices().map((d) => [{ device: d.id }, d.health.consecutiveFailures] as const),
  });

  return (device, ok, latencyMs, code) => {
    polls.inc({ device, result: ok ? 'ok' : 'error' });
    if (!ok) errors.inc({ device, code: code ?? 'unknown' });
    duration.observe({ device }, Math.max(0, latencyMs) / 1000);
  };
}
