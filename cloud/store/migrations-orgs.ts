/**
 * Organizations (issue 15 §1): a migration step of its own on each backend, appended to
 * SQLITE_MIGRATIONS and POSTGRES_MIGRATIONS. Never edit it once released: add a step.
 *
 * One rule decides what belongs to whom: **a gateway belongs to one organization**, and
 * everything else belongs to the organization of its gateway: its records, integrity alarms and
 * proofs (by `records.gateway`), its DGA obras (by the obra's `gateway` in the relay config, so
 * the DGA tables need no column) and its alerts (`alerts.org_id`, copied from the gateway when the
 * alert is opened, because alerts are listed by time across gateways; NULL: a relay-wide alert,
 * e.g. anchoring, that only the platform owner sees).
 *
 * An existing single-tenant database upgrades into the organization `default`: every gateway
 * takes it through the column's default, every alert with a gateway or an obra is backfilled.
 */
import type { SqliteMigration } from '../../platform/sqlite/migrate.ts';
import type { PostgresMigration } from './migrations-postgres.ts';

/** The organization an upgraded single-tenant relay puts everything in (cloud/identity/principal.ts DEFAULT_ORG_ID). */
export const DEFAULT_ORG = 'default';

const NAME = 'organizations: gateways and alerts belong to one';

export const ORGS_MIGRATION_SQLITE: SqliteMigration = {
  name: NAME,
  sql: `
      -- id: a short stable slug used in URLs, tokens and the CLI; created_at in ms since the epoch.
      CREATE TABLE organizations (
        id         TEXT PRIMARY KEY,
        name       TEXT NOT NULL,
        created_at INTEGER NOT NULL
      ) WITHOUT ROWID;
      INSERT INTO organizations (id, name, created_at) VALUES ('${DEFAULT_ORG}', 'Default', CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER));
      -- SQLite adds no REFERENCES column with a non-NULL default to a table with rows: the
      -- records store's addGateway inserts only when the organization exists (records-sql.ts).
      ALTER TABLE gateways ADD COLUMN org_id TEXT NOT NULL DEFAULT '${DEFAULT_ORG}';
      -- An organization's gateways (a few thousand at most): the set every org-scoped read of
      -- records filters by, so records need no new index (their indexes all start with gateway or time).
      CREATE INDEX gateways_org ON gateways (org_id, id);

      ALTER TABLE alerts ADD COLUMN org_id TEXT;
      UPDATE alerts SET org_id = coalesce((SELECT g.org_id FROM gateways g WHERE g.id = alerts.gateway), '${DEFAULT_ORG}')
        WHERE gateway IS NOT NULL OR obra IS NOT NULL;
      CREATE INDEX alerts_org_opened ON alerts (org_id, opened_at, id);
      CREATE INDEX alerts_org_state_opened ON alerts (org_id, state, opened_at, id);
    `,
};

export const ORGS_MIGRATION_POSTGRES: PostgresMigration = {
  name: NAME,
  sql: `
      -- migrations-orgs.ts (SQLite step) says what the columns hold.
      CREATE TABLE organizations (
        id         text PRIMARY KEY,
        name       text NOT NULL,
        created_at bigint NOT NULL
      );
      INSERT INTO organizations (id, name, created_at) VALUES ('${DEFAULT_ORG}', 'Default', (extract(epoch FROM clock_timestamp()) * 1000)::bigint);
      ALTER TABLE gateways ADD COLUMN org_id text NOT NULL DEFAULT '${DEFAULT_ORG}' REFERENCES organizations (id);
      CREATE INDEX gateways_org ON gateways (org_id, id);

      ALTER TABLE alerts ADD COLUMN org_id text;
      UPDATE alerts SET org_id = coalesce((SELECT g.org_id FROM gateways g WHERE g.id = alerts.gateway), '${DEFAULT_ORG}')
        WHERE gateway IS NOT NULL OR obra IS NOT NULL;
      CREATE INDEX alerts_org_opened ON alerts (org_id, opened_at, id);
      CREATE INDEX alerts_org_state_opened ON alerts (org_id, state, opened_at, id);
    `,
};
