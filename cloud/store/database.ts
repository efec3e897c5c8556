/**
 * The relay's database: ONE executor (one SQLite connection, or one PostgreSQL pool) per relay
 * process, and the per-feature stores built on it. cloud/main.ts and the CLI commands build it
 * once from the storage config and hand its stores to ingest, DGA and anchoring; whoever built it
 * starts and stops it. See README.md for how a feature adds its store.
 */
import type { Logger } from 'pino';
import { type Clock, systemClock } from '../../protocols/clock.ts';
import { SqlAlertsStore } from './alerts-store.ts';
import type { AlertsStore } from './alerts-types.ts';
import { SqlAnchorStore } from './anchor-store.ts';
import type { AnchorStore } from './anchor-types.ts';
import { SqlDgaStore } from './dga-store.ts';
import type { DgaStore } from './dga-types.ts';
import { SqlFleetStore } from './fleet-store.ts';
import type { FleetStore } from './fleet-types.ts';
import { SqlIdentityStore } from './identity-store.ts';
import type { IdentityStore } from './identity-types.ts';
import { SqlOrgStore } from './org-store.ts';
import { RecordsPartitions } from './records-partitions.ts';
import { SqlRecordsStore } from './records-store.ts';
import { SqlSourcesStore } from './sources-store.ts';
import type { SourcesStore } from './sources-types.ts';
import type { SqlExecutor } from './sql-executor.ts';
import { PostgresExecutor } from './sql-postgres.ts';
import { SqliteExecutor } from './sql-sqlite.ts';
import type { RelayStore } from './types.ts';

export type StoreConfig =
  | { readonly kind: 'sqlite'; readonly path: string; readonly synchronous?: 'full' | 'normal' }
  | { readonly kind: 'postgres'; readonly url: string; readonly maxConnections?: number };

/** Pool size when the config gives none. */
export const DEFAULT_POOL = 10;
/**
 * The smallest pool the relay runs on: the DGA scheduler keeps one connection for its session
 * lock during a tick while the tick's statements use another, and ingest must not wait for a
 * tick. A smaller storage.maxConnections is raised to this.
 */
export const MIN_POOL = 3;

export interface RelayDatabase {
  readonly executor: SqlExecutor;
  /** Gateways, nonces, records, integrity alarms: the one writer of `records`. */
  readonly records: RelayStore;
  readonly dga: DgaStore;
  readonly anchor: AnchorStore;
  /** Alerts, their routes, the outbox and the delivery log (cloud/alerts). */
  readonly alerts: AlertsStore;
  /** Latest poll and health per gateway, health history (cloud/fleet). */
  readonly fleet: FleetStore;
  /** Provider sources: virtual gateways, message ids, cursors (cloud/providers). */
  readonly sources: SourcesStore;
  /** Users, sessions, API tokens and the audit (cloud/identity). */
  readonly identity: IdentityStore;
  /** Organizations (issue 15): who owns each gateway and what follows it. */
  readonly orgs: SqlOrgStore;
  /** PostgreSQL: the monthly partitions of records, made ahead while the database runs (records-partitions.ts). */
  readonly partitions: RecordsPartitions | undefined;
  /** Opens the connection or pool and applies pending migrations. Idempotent. */
  start(): Promise<void>;
  /** Closes it: every store's later calls fail with STORE_CLOSED. Idempotent. */
  stop(): Promise<void>;
}

/** Builds the executor of a storage config; nothing is opened until start(). */
export function createExecutor(config: StoreConfig, logger: Logger): SqlExecutor {
  switch (config.kind) {
    case 'sqlite':
      return new SqliteExecutor({ path: config.path, logger, synchronous: config.synchronous });
    case 'postgres': {
      const configured = config.maxConnections ?? DEFAULT_POOL;
      if (configured < MIN_POOL)
        logger.warn({ component: 'store', maxConnections: configured, used: MIN_POOL }, 'storage.maxConnections raised to the smallest pool the relay runs on');
      return new PostgresExecutor({ url: config.url, logger, maxConnections: Math.max(configured, MIN_POOL) });
    }
    default: {
      const unknown: never = config;
      throw new Error(`unknown store kind ${(unknown as { kind: string }).kind}`);
    }
  }
}

/**
 * The relay's database and its stores on one executor; nothing is opened until start(). `clock`
 * places the records partitions made ahead (PostgreSQL).
 */
export function createRelayDatabase(config: StoreConfig, logger: Logger, clock: Clock = systemClock): RelayDatabase {
  const executor = createExecutor(config, logger);
  const records = new SqlRecordsStore(executor, logger);
  const partitions = executor.dialect === 'postgres' ? new RecordsPartitions(executor, clock, logger) : undefined;
  return {
    executor,
    records,
    dga: new SqlDgaStore(executor),
    anchor: new SqlAnchorStore(executor, records),
    alerts: new SqlAlertsStore(executor),
    fleet: new SqlFleetStore(executor),
    sources: new SqlSourcesStore(executor, records),
    identity: new SqlIdentityStore(executor),
    orgs: new SqlOrgStore(executor),
    partitions,
    start: async () => {
      await executor.start();
      await partitions?.start();
    },
    stop: async () => {
      partitions?.stop();
      await executor.stop();
    },
  };
}
