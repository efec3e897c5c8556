import type { PostgresMigration } from './migrations-postgres.ts';
import type { SqliteMigration } from './migrations-sqlite.ts';

/**
 * Issue 16 §2 and §3: a desired agent config per gateway, versioned, every version kept; what the
 * gateway reported about it (applied, refused, rolled back); remote commands and their outcomes.
 * Times in ms since the epoch.
 */
export const FLEET_CONFIG_MIGRATION_SQLITE: SqliteMigration = {
  name: 'fleet: desired agent configs, their reports, remote commands',
  sql: `
    -- One row per version (1, 2, …) of a gateway's desired config; never updated. yaml is the
    -- text as the operator sent it (secrets only by reference: env names, files on the gateway);
    -- sha256 hex of that text; set_by: the operator token's name.
    CREATE TABLE fleet_configs (
      gateway TEXT NOT NULL,
      version INTEGER NOT NULL,
      yaml    TEXT NOT NULL,
      sha256  TEXT NOT NULL,
      set_by  TEXT NOT NULL,
      set_at  INTEGER NOT NULL,
      PRIMARY KEY (gateway, version)
    ) WITHOUT ROWID;

    -- What the gateway said, one row per change (not per poll): state local|applied|refused|rolled_back
    -- about version; applied: the version it runs afterwards (NULL: its local file).
    CREATE TABLE fleet_config_reports (
      id      INTEGER PRIMARY KEY AUTOINCREMENT,
      gateway TEXT NOT NULL,
      version INTEGER,
      applied INTEGER,
      state   TEXT NOT NULL,
      reason  TEXT,
      at      INTEGER NOT NULL
    );
    CREATE INDEX fleet_config_reports_gateway ON fleet_config_reports (gateway, id);

    -- kind: alarm.ack|modbus.read|device.poll|agent.restart; args JSON; outcome_status ok|refused|failed
    -- once the gateway reported it (outcome JSON: result or reason); a command without an outcome
    -- after expires_at is expired (computed when read).
    CREATE TABLE fleet_commands (
      id             TEXT PRIMARY KEY,
      gateway        TEXT NOT NULL,
      kind           TEXT NOT NULL,
      args           TEXT NOT NULL,
      created_by     TEXT NOT NULL,
      created_at     INTEGER NOT NULL,
      expires_at     INTEGER NOT NULL,
      delivered_at   INTEGER,
      outcome_status TEXT,
      outcome        TEXT,
      outcome_at     INTEGER
    ) WITHOUT ROWID;
    CREATE INDEX fleet_commands_gateway ON fleet_commands (gateway, created_at);
  `,
};

export const FLEET_CONFIG_MIGRATION_POSTGRES: PostgresMigration = {
  name: 'fleet: desired agent configs, their reports, remote commands',
  sql: `
    -- migrations-fleet-config.ts (SQLite step) says what the columns hold.
    CREATE TABLE fleet_configs (
      gateway text NOT NULL,
      version integer NOT NULL,
      yaml    text NOT NULL,
      sha256  text NOT NULL,
      set_by  text NOT NULL,
      set_at  bigint NOT NULL,
      PRIMARY KEY (gateway, version)
    );
    CREATE TABLE fleet_config_reports (
      id      bigserial PRIMARY KEY,
      gateway text NOT NULL,
      version integer,
      applied integer,
      state   text NOT NULL,
      reason  text,
      at      bigint NOT NULL
    );
    CREATE INDEX fleet_config_reports_gateway ON fleet_config_reports (gateway, id);
    CREATE TABLE fleet_commands (
      id             text PRIMARY KEY,
      gateway        text NOT NULL,
      kind           text NOT NULL,
      args           text NOT NULL,
      created_by     text NOT NULL,
      created_at     bigint NOT NULL,
      expires_at     bigint NOT NULL,
      delivered_at   bigint,
      outcome_status text,
      outcome        text,
      outcome_at     bigint
    );
    CREATE INDEX fleet_commands_gateway ON fleet_commands (gateway, created_at);
  `,
};
