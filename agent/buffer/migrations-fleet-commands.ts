import type { Migration } from './migrations.ts';

/**
 * Buffer migration 6 (issue 16 §3): remote commands the gateway has run, by id, so each runs at
 * most once across restarts and SIGKILL. In the buffer file because it is already the agent's
 * durable store (WAL, migrated, backed up): a row committed before a command runs survives a
 * kill of the process, where a file would need its own fsync and rename discipline.
 */
export const FLEET_COMMANDS_MIGRATION: Migration = {
  name: 'fleet commands: ids run (at most once) and their outcomes until the relay confirms them',
  sql: `
    -- status: running (claimed, outcome not yet known: a kill here reports failed/interrupted),
    -- ok, refused, failed. outcome: JSON { result } or { reason }. confirmed: the relay stored
    -- the outcome (it is not reported again). Times: gateway wall clock, ms. A few rows a day;
    -- rows older than 30 days are deleted by the commands part.
    CREATE TABLE fleet_commands (
      id        TEXT PRIMARY KEY,
      kind      TEXT NOT NULL,
      status    TEXT NOT NULL,
      outcome   TEXT,
      at        INTEGER NOT NULL,
      confirmed INTEGER NOT NULL DEFAULT 0
    ) WITHOUT ROWID;
  `,
};
