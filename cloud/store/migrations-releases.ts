import type { PostgresMigration } from './migrations-postgres.ts';
import type { SqliteMigration } from './migrations-sqlite.ts';

/**
 * Issue 16 §4: releases the relay hosts (each verified against a release public key before it
 * was accepted; the tarball itself lives on disk under releases.dir), rollouts (append-only: who
 * asked which version for whom, the canary percentage), groups of gateways, and each gateway's last
 * update report. Times in ms since the epoch.
 */
const TABLES = (t: { int: string; text: string; real: string; serial: string }): string => `
    -- manifest: the signed manifest file's exact bytes as UTF-8 JSON text; signature: base64 ed25519.
    CREATE TABLE releases (
      version   ${t.text} PRIMARY KEY,
      file      ${t.text} NOT NULL,
      size      ${t.int} NOT NULL,
      sha256    ${t.text} NOT NULL,
      manifest  ${t.text} NOT NULL,
      signature ${t.text} NOT NULL,
      added_by  ${t.text} NOT NULL,
      added_at  ${t.int} NOT NULL
    );

    -- Never updated nor deleted: the newest rollout reaching a gateway wins (protocols/release/rollout.ts).
    -- target_kind all|gateway|group; target NULL for all.
    CREATE TABLE release_rollouts (
      id          ${t.serial},
      version     ${t.text} NOT NULL REFERENCES releases (version),
      target_kind ${t.text} NOT NULL CHECK (target_kind IN ('all', 'gateway', 'group')),
      target      ${t.text},
      percent     ${t.int} NOT NULL CHECK (percent BETWEEN 1 AND 100),
      actor       ${t.text} NOT NULL,
      created_at  ${t.int} NOT NULL
    );

    CREATE TABLE release_groups (
      grp     ${t.text} NOT NULL,
      gateway ${t.text} NOT NULL,
      PRIMARY KEY (grp, gateway)
    );
    CREATE INDEX release_groups_gateway ON release_groups (gateway);

    -- The gateway's last update report (protocols/release/fleet.ts), replaced at each report.
    CREATE TABLE release_reports (
      gateway    ${t.text} PRIMARY KEY,
      current    ${t.text} NOT NULL,
      state      ${t.text} NOT NULL,
      target     ${t.text},
      progress   ${t.real} NOT NULL,
      reason     ${t.text},
      updated_at ${t.int} NOT NULL
    );
`;

export const RELEASES_MIGRATION_SQLITE: SqliteMigration = {
  name: 'releases: hosted releases, rollouts, groups, update reports',
  sql: TABLES({ int: 'INTEGER', text: 'TEXT', real: 'REAL', serial: 'INTEGER PRIMARY KEY' }),
};

export const RELEASES_MIGRATION_POSTGRES: PostgresMigration = {
  name: 'releases: hosted releases, rollouts, groups, update reports',
  sql: TABLES({ int: 'bigint', text: 'text', real: 'double precision', serial: 'bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY' }),
};
