/**
 * Provider sources (issue 17, cloud/providers): one step for SQLite and one for PostgreSQL, same
 * tables and columns, appended to SQLITE_MIGRATIONS and POSTGRES_MIGRATIONS. Never edit a
 * released step: add one.
 */
import type { SqliteMigration } from '../../platform/sqlite/migrate.ts';
import type { PostgresMigration } from './migrations-postgres.ts';

/*
 * sources: one row per provisioned source; gateway is its virtual gateway (a row of gateways,
 * src-<id>) whose highest_seq the source's ingest continues. cursor: the pull's since-last
 * position (provider-specific text, sources-types.ts), advanced in the transaction that stores
 * what it covers. last_* / failures / next_try_at: the status GET /v1/sources shows.
 * source_messages: the provider's own message ids already stored (TTS device:f_cnt, a Tago record
 * id, an HTTP row id or hash); at = the message's time, for the TTS frame-counter window.
 * source_problems: what a provider sent that could not be used, counted per reason.
 * Times in ms since the epoch.
 */
export const SOURCES_MIGRATION_SQLITE: SqliteMigration = {
  name: 'provider sources: sources, source_messages, source_problems',
  sql: `
      CREATE TABLE sources (
        id              TEXT PRIMARY KEY,
        kind            TEXT NOT NULL CHECK (kind IN ('tts', 'tago', 'http')),
        gateway         TEXT NOT NULL UNIQUE,
        org             TEXT NOT NULL DEFAULT 'default',
        created_at      INTEGER NOT NULL,
        cursor          TEXT,
        last_success_at INTEGER,
        last_error_at   INTEGER,
        last_error      TEXT,
        failures        INTEGER NOT NULL DEFAULT 0,
        next_try_at     INTEGER,
        messages        INTEGER NOT NULL DEFAULT 0,
        duplicates      INTEGER NOT NULL DEFAULT 0
      ) WITHOUT ROWID;

      CREATE TABLE source_messages (
        source      TEXT NOT NULL,
        message_id  TEXT NOT NULL,
        at          INTEGER NOT NULL,
        received_at INTEGER NOT NULL,
        PRIMARY KEY (source, message_id)
      ) WITHOUT ROWID;

      CREATE TABLE source_problems (
        source      TEXT NOT NULL,
        reason      TEXT NOT NULL,
        count       INTEGER NOT NULL,
        last_at     INTEGER NOT NULL,
        last_detail TEXT NOT NULL,
        PRIMARY KEY (source, reason)
      ) WITHOUT ROWID;
    `,
};

export const SOURCES_MIGRATION_POSTGRES: PostgresMigration = {
  name: 'provider sources: sources, source_messages, source_problems',
  sql: `
      -- migrations-sources.ts says what the columns hold.
      CREATE TABLE sources (
        id              text PRIMARY KEY,
        kind            text NOT NULL CHECK (kind IN ('tts', 'tago', 'http')),
        gateway         text NOT NULL UNIQUE,
        org             text NOT NULL DEFAULT 'default',
        created_at      bigint NOT NULL,
        cursor          text,
        last_success_at bigint,
        last_error_at   bigint,
        last_error      text,
        failures        integer NOT NULL DEFAULT 0,
        next_try_at     bigint,
        messages        bigint NOT NULL DEFAULT 0,
        duplicates      bigint NOT NULL DEFAULT 0
      );

      CREATE TABLE source_messages (
        source      text NOT NULL,
        message_id  text NOT NULL,
        at          bigint NOT NULL,
        received_at bigint NOT NULL,
        PRIMARY KEY (source, message_id)
      );

      CREATE TABLE source_problems (
        source      text NOT NULL,
        reason      text NOT NULL,
        count       bigint NOT NULL,
        last_at     bigint NOT NULL,
        last_detail text NOT NULL,
        PRIMARY KEY (source, reason)
      );
    `,
};
