import type { Registry } from 'prom-client';
import { scrapedCounter, scrapedGauge } from '../../platform/metrics.ts';
import type { BrokerStats } from '../broker/broker.ts';

/**
 * The broker's defences against unauthenticated peers (issue 19): connections closed before they
 * authenticated, refused CONNECTs and the password checks (scrypt) they cost. Absent when the
 * broker is disabled.
 */
export function registerBrokerGuardMetrics(registry: Registry, broker: () => BrokerStats | null): void {
  const read =
    <T>(pick: (b: BrokerStats) => T): (() => T | null) =>
    () => {
      const b = broker();
      return b === null ? null : pick(b);
    };
  scrapedGauge(registry, {
    name: 'atalaya_mqtt_pending_connections',
    help: 'MQTT connections accepted and not yet authenticated',
    read: read((b) => b.pending),
  });
  scrapedCounter(registry, {
    name: 'atalaya_mqtt_connections_closed_total',
    help: 'MQTT connections closed before authenticating: connect_timeout, pending_limit (room for a newer one), oversized_packet, malformed_length',
    labelNames: ['reason'],
    read: read((b) => Object.entries(b.closedBeforeAuth).map(([reason, n]) => [{ reason }, n] as const)),
  });
  scrapedCounter(registry, {
    name: 'atalaya_mqtt_auth_failures_total',
    help: 'Refused MQTT CONNECTs: bad_credentials, not_authorized, identifier_rejected, throttled (back-off, no check), busy (check queue full), server_full (maxClients)',
    labelNames: ['reason'],
    read: read((b) => Object.entries(b.auth.failures).map(([reason, n]) => [{ reason }, n] as const)),
  });
  scrapedCounter(registry, {
    name: 'atalaya_mqtt_password_checks_total',
    help: 'Password checks (scrypt) run for MQTT CONNECTs, right or wrong',
    read: read((b) => b.auth.passwordChecks),
  });
}
