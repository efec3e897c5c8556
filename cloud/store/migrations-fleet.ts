/**
 * The fleet's tables (issue 16 §1, cloud/fleet): the latest poll and health report of each
 * gateway, and a bounded history of the figures the Fleet tab charts. One step per backend,
 * appended to SQLITE_MIGRATIONS and POSTGRES_MIGRATIONS; never edit a released step: add one.
 */
import type { SqliteMigration } from '../../platform/sqlite/migrate.ts';
import type { PostgresMigration } from './migrations-postgres.ts';

export const FLEET_MIGRATION_SQLITE: SqliteMigration = {
  name: 'fleet: latest poll and health per gateway, health history',
  sql: `
      -- One row per gateway that ever polled (POST /v1/fleet/poll). Times in ms since the epoch.
      -- health: the latest report's JSON (protocols/fleet/health.ts), NULL before the first.
      CREATE TABLE fleet_gateways (
        gateway      TEXT PRIMARY KEY,
        last_poll_at INTEGER NOT NULL,
        polls        INTEGER NOT NULL,
        health_at    INTEGER,
        health       TEXT
      ) WITHOUT ROWID;

      -- The figures of each report, for the history chart; rows older than fleet.historyMs are
      -- deleted as each new one comes in (by the primary key: no scan).
      CREATE TABLE fleet_health (
        gateway         TEXT NOT NULL,
        at              INTEGER NOT NULL,
        buffer_depth    INTEGER NOT NULL,
        disk_free_bytes INTEGER,
        cpu_temp_c      REAL,
        rss_bytes       INTEGER NOT NULL,
        devices_up      INTEGER NOT NULL,
        devices_total   INTEGER NOT NULL,
        clock_synced    INTEGER NOT NULL,
        PRIMARY KEY (gateway, at)
      ) WITHOUT ROWID;
    `,
};

export const FLEET_MIGRATION_POSTGRES: PostgresMigration = {
  name: 'fleet: latest poll and health per gateway, health history',
  sql: `
      -- migrations-fleet.ts (SQLite step) says what the columns hold.
      CREATE TABLE fleet_gateways (
        gateway      text PRIMARY KEY,
        last_poll_at bigint NOT NULL,
        polls        bigint NOT NULL,
        health_at    bigint,
        health       text
      );

      CREATE TABLE fleet_health (
        gateway         text NOT NULL,
        at              bigint NOT NULL,
        buffer_depth    bigint NOT NULL,
        disk_free_bytes bigint,
        cpu_temp_c      double precision,
        rss_bytes       bigint NOT NULL,
        devices_up      integer NOT NULL,
        devices_total   integer NOT NULL,
        clock_synced    boolean NOT NULL,
        PRIMARY KEY (gateway, at)
      );
    `,
};
