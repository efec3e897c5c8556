/**
 * Identity tables (issue 15): users, their dashboard sessions and API tokens, and the append-only
 * audit of every write. One step per backend, appended to SQLITE_MIGRATIONS and
 * POSTGRES_MIGRATIONS. Never edit a released step: add one.
 *
 * - users: name is unique across the relay (it is what a person types to sign in); org_id is the
 *   organization's id ('default' for an upgraded install), NULL only for the platform owner;
 *   password_hash is scrypt (platform/passwords.ts); failed_logins/locked_until are the lockout
 *   (cloud/identity/service.ts); disabled 0|1 stops every session and token of the user at once.
 * - sessions: id_sha256 is the sha256 (hex) of the cookie's random id (the id itself is never
 *   stored); expires_at is absolute, last_seen_at drives the idle timeout.
 * - api_tokens: sha256 of the token only; role ≤ the user's role; revoked_at NULL while valid.
 * - audit: append-only (triggers refuse UPDATE and DELETE); details is a JSON object of what
 *   changed, never a secret. Times in ms since the epoch.
 */
import type { SqliteMigration } from '../../platform/sqlite/migrate.ts';
import type { PostgresMigration } from './migrations-postgres.ts';

const ROLES = "'owner', 'admin', 'compliance', 'technician', 'viewer'";

export const IDENTITY_MIGRATION_SQLITE: SqliteMigration = {
  name: 'identity: users, sessions, API tokens, audit',
  sql: `
      CREATE TABLE users (
        id            TEXT PRIMARY KEY,
        org_id        TEXT,
        name          TEXT NOT NULL UNIQUE,
        display_name  TEXT NOT NULL,
        role          TEXT NOT NULL CHECK (role IN (${ROLES})),
        password_hash TEXT NOT NULL,
        disabled      INTEGER NOT NULL DEFAULT 0,
        failed_logins INTEGER NOT NULL DEFAULT 0,
        locked_until  INTEGER,
        created_at    INTEGER NOT NULL,
        updated_at    INTEGER NOT NULL,
        CHECK ((role = 'owner') = (org_id IS NULL))
      ) WITHOUT ROWID;
      CREATE INDEX users_org ON users (org_id, name);

      CREATE TABLE sessions (
        id_sha256    TEXT PRIMARY KEY,
        user_id      TEXT NOT NULL REFERENCES users (id),
        created_at   INTEGER NOT NULL,
        expires_at   INTEGER NOT NULL,
        last_seen_at INTEGER NOT NULL
      ) WITHOUT ROWID;
      CREATE INDEX sessions_user ON sessions (user_id);

      CREATE TABLE api_tokens (
        id           TEXT PRIMARY KEY,
        user_id      TEXT NOT NULL REFERENCES users (id),
        org_id       TEXT,
        name         TEXT NOT NULL,
        role         TEXT NOT NULL CHECK (role IN (${ROLES})),
        sha256       TEXT NOT NULL UNIQUE,
        created_at   INTEGER NOT NULL,
        last_used_at INTEGER,
        revoked_at   INTEGER
      ) WITHOUT ROWID;
      CREATE INDEX api_tokens_user ON api_tokens (user_id, created_at);

      CREATE TABLE audit (
        id      INTEGER PRIMARY KEY AUTOINCREMENT,
        at      INTEGER NOT NULL,
        actor   TEXT NOT NULL,
        user_id TEXT,
        org_id  TEXT,
        action  TEXT NOT NULL,
        target  TEXT,
        details TEXT NOT NULL
      );
      CREATE INDEX audit_org ON audit (org_id, id);
      CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;
      CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;
    `,
};

export const IDENTITY_MIGRATION_POSTGRES: PostgresMigration = {
  name: 'identity: users, sessions, API tokens, audit',
  sql: `
      -- migrations-identity.ts says what the columns hold.
      CREATE TABLE users (
        id            text PRIMARY KEY,
        org_id        text,
        name          text NOT NULL UNIQUE,
        display_name  text NOT NULL,
        role          text NOT NULL CHECK (role IN (${ROLES})),
        password_hash text NOT NULL,
        disabled      integer NOT NULL DEFAULT 0,
        failed_logins integer NOT NULL DEFAULT 0,
        locked_until  bigint,
        created_at    bigint NOT NULL,
        updated_at    bigint NOT NULL,
        CHECK ((role = 'owner') = (org_id IS NULL))
      );
      CREATE INDEX users_org ON users (org_id, name);

      CREATE TABLE sessions (
        id_sha256    text PRIMARY KEY,
        user_id      text NOT NULL REFERENCES users (id),
        created_at   bigint NOT NULL,
        expires_at   bigint NOT NULL,
        last_seen_at bigint NOT NULL
      );
      CREATE INDEX sessions_user ON sessions (user_id);

      CREATE TABLE api_tokens (
        id           text PRIMARY KEY,
        user_id      text NOT NULL REFERENCES users (id),
        org_id       text,
        name         text NOT NULL,
        role         text NOT NULL CHECK (role IN (${ROLES})),
        sha256       text NOT NULL UNIQUE,
        created_at   bigint NOT NULL,
        last_used_at bigint,
        revoked_at   bigint
      );
      CREATE INDEX api_tokens_user ON api_tokens (user_id, created_at);

      CREATE TABLE audit (
        id      bigserial PRIMARY KEY,
        at      bigint NOT NULL,
        actor   text NOT NULL,
        user_id text,
        org_id  text,
        action  text NOT NULL,
        target  text,
        details text NOT NULL
      );
      CREATE INDEX audit_org ON audit (org_id, id);
      CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'audit is append-only'; END $$;
      CREATE TRIGGER audit_no_change BEFORE UPDATE OR DELETE ON audit
        FOR EACH ROW EXECUTE FUNCTION audit_append_only();
    `,
};
