/** The alerts' store on the relay's own database (cloud/alerts uses it; see alerts-types.ts). */
import type { Logger } from 'pino';
import type { AlertsStore } from './alerts-types.ts';
import { createRelayDatabase, type StoreConfig } from './database.ts';

/**
 * The alerts store on a database handle of its own, with that handle's start and stop: for tests
 * that stand for a second relay process. The relay takes it from its one createRelayDatabase.
 */
export function createAlertsStore(config: StoreConfig, logger: Logger): AlertsStore & { start(): Promise<void>; stop(): Promise<void> } {
  const database = createRelayDatabase(config, logger);
  return Object.assign(database.alerts, { start: () => database.start(), stop: () => database.stop() });
}

export { SqlAlertsStore } from './alerts-store.ts';
export type * from './alerts-types.ts';
export { ALERT_STATES, DELIVERY_OUTCOMES, MESSAGE_KINDS, OUTBOX_STATES } from './alerts-types.ts';
