import type { Database } from 'better-sqlite3';
import type { Logger } from 'pino';
import { migrate as migrateSqlite } from '../../platform/sqlite/migrate.ts';
import { migrationFailed, schemaTooNew } from './errors.ts';
import { FLEET_COMMANDS_MIGRATION } from './migrations-fleet-commands.ts';

export { userVersion } from '../../platform/sqlite/migrate.ts';

export interface Migration {
  /** One line for the log. */
  readonly name: string;
  readonly sql: string;
}

/** Frozen with migration 1: the shape of one records table. Later changes go in new steps. */
const v1RecordTable = (table: string): string => `
      CREATE TABLE ${table} (
        seq       INTEGER PRIMARY KEY,
        kind      INTEGER NOT NULL,
        device    INTEGER NOT NULL,
        channel   INTEGER NOT NULL,
        value     REAL,
        unit      INTEGER NOT NULL,
        quality   INTEGER NOT NULL,
        exception INTEGER,
        ts        INTEGER NOT NULL,
        mono      INTEGER NOT NULL,
        boot      INTEGER NOT NULL,
        flags     INTEGER NOT NULL
      );
      CREATE INDEX ${table}_ts ON ${table} (ts);
      CREATE INDEX ${table}_alarms ON ${table} (seq) WHERE kind = 1;`;

/**
 * Schema steps, in order: step i (0-based) brings the file to `PRAGMA user_version` i + 1. Append
 * new steps at the end; never edit a released one (a gateway in the field may be at any version).
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    name: 'records per priority, names, meta, evictions, latest',
    sql: `
      -- Device, channel, unit and boot id repeat on every row: a 1-2 byte id instead of the text.
      -- Never deleted (a gateway has a few hundred names).
      CREATE TABLE names (
        id   INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE
      );

      -- One table per eviction priority (0 ordinary, 1 DGA, 2 alarm), each a FIFO by seq: evicting
      -- the oldest ordinary records frees whole pages, where in one shared table they would leave
      -- every page part-full of the DGA rows and alarms interleaved with them, and the file would not
      -- shrink until all ordinary rows were gone. seq is the rowid, unique across the three tables,
      -- assigned from meta.next_seq (see statements.ts). kind: 0 reading, 1 alarm; quality: codes
      -- in statements.ts; device/channel/unit/boot: names.id.
      -- _ts serves eviction by age and stats().oldestTs; the partial _alarms index lets
      -- readAfter(kind = 'alarm') jump from alarm to alarm while readings pay nothing for it.
      ${v1RecordTable('records_ordinary')}
      ${v1RecordTable('records_dga')}
      ${v1RecordTable('records_alarm')}

      -- For people and tools reading the file; the agent queries the tables.
      CREATE VIEW records AS
        SELECT seq, kind, device, channel, value, unit, quality, exception, ts, mono, boot, 0 AS priority, flags FROM records_ordinary
        UNION ALL
        SELECT seq, kind, device, channel, value, unit, quality, exception, ts, mono, boot, 1 AS priority, flags FROM records_dga
        UNION ALL
        SELECT seq, kind, device, channel, value, unit, quality, exception, ts, mono, boot, 2 AS priority, flags FROM records_alarm;

      CREATE TABLE meta (
        key   TEXT PRIMARY KEY,
        value INTEGER NOT NULL
      ) WITHOUT ROWID;
      INSERT INTO meta (key, value) VALUES ('next_seq', 1);

      -- Records evicted (by size or age) per priority, since the file was created.
      CREATE TABLE evictions (
        priority INTEGER PRIMARY KEY,
        count    INTEGER NOT NULL
      );
      INSERT INTO evictions (priority, count) VALUES (0, 0), (1, 0), (2, 0);

      -- Last record per (device, channel), kept even after the record itself is released, for the
      -- status page.
      CREATE TABLE latest (
        device    INTEGER NOT NULL,
        channel   INTEGER NOT NULL,
        seq       INTEGER NOT NULL,
        kind      INTEGER NOT NULL,
        value     REAL,
        unit      INTEGER NOT NULL,
        quality   INTEGER NOT NULL,
        exception INTEGER,
        ts        INTEGER NOT NULL,
        mono      INTEGER NOT NULL,
        boot      INTEGER NOT NULL,
        priority  INTEGER NOT NULL,
        flags     INTEGER NOT NULL,
        PRIMARY KEY (device, channel)
      ) WITHOUT ROWID;
    `,
  },
  {
    name: 'alarm detail on records, alarm_state, latest for readings only',
    sql: `
      -- Detail of alarm records (kind 1): JSON text {rule, level, state, threshold}, see codec.ts.
      -- NULL on readings, which costs them one record-header byte (four typed columns would cost
      -- four, ~10% of a reading row). ADD COLUMN rewrites no row: older rows read as NULL.
      ALTER TABLE records_ordinary ADD COLUMN alarm TEXT;
      ALTER TABLE records_dga ADD COLUMN alarm TEXT;
      ALTER TABLE records_alarm ADD COLUMN alarm TEXT;

      DROP VIEW records;
      CREATE VIEW records AS
        SELECT seq, kind, device, channel, value, unit, quality, exception, ts, mono, boot, 0 AS priority, flags, alarm FROM records_ordinary
        UNION ALL
        SELECT seq, kind, device, channel, value, unit, quality, exception, ts, mono, boot, 1 AS priority, flags, alarm FROM records_dga
        UNION ALL
        SELECT seq, kind, device, channel, value, unit, quality, exception, ts, mono, boot, 2 AS priority, flags, alarm FROM records_alarm;

      -- Current state per (device, channel, alarm rule), from the last alarm record of that rule:
      -- upserted in the transaction that commits the record, and like latest kept when records are
      -- released or evicted (the alarm engine restores from it at start, the status page lists
      -- active alarms). rule: names.id; level, state: codes in codec.ts; seq: the record's.
      CREATE TABLE alarm_state (
        device    INTEGER NOT NULL,
        channel   INTEGER NOT NULL,
        rule      INTEGER NOT NULL,
        level     INTEGER NOT NULL,
        state     INTEGER NOT NULL,
        threshold REAL,
        value     REAL,
        ts        INTEGER NOT NULL,
        seq       INTEGER NOT NULL,
        PRIMARY KEY (device, channel, rule)
      ) WITHOUT ROWID;

      -- latest now keeps readings only. Where an alarm record took a channel's place, the newest
      -- reading still stored for that channel goes back (a single max() makes the bare columns come
      -- from its row, docs/storage.md#bare-columns-in-aggregates), else the row goes. The first,
      -- constant EXISTS skips the scan of the records when there is nothing to repair.
      INSERT OR REPLACE INTO latest (device, channel, seq, kind, value, unit, quality, exception, ts, mono, boot, priority, flags)
        SELECT device, channel, max(seq), kind, value, unit, quality, exception, ts, mono, boot, priority, flags
        FROM records r
        WHERE EXISTS (SELECT 1 FROM latest WHERE kind = 1)
          AND kind = 0
          AND EXISTS (SELECT 1 FROM latest l WHERE l.kind = 1 AND l.device = r.device AND l.channel = r.channel)
        GROUP BY device, channel;
      DELETE FROM latest WHERE kind = 1;
    `,
  },
  {
    name: 'quarantine of records the wire refuses (record check, issue 12)',
    sql: `
      -- Records the record check (protocols/records-check.ts) refuses, found by the sync in files
      -- written before append ran that check: moved here from their records table, never sent,
      -- kept for inspection; release and eviction never touch them (quarantine.ts).
      -- record: the StoredRecord as JSON; path, expected: the rule it breaks; at: gateway wall clock, ms.
      CREATE TABLE quarantine (
        seq      INTEGER PRIMARY KEY,
        record   TEXT NOT NULL,
        path     TEXT NOT NULL,
        expected TEXT NOT NULL,
        at       INTEGER NOT NULL
      );
    `,
  },
  {
    name: 'device_seq: last MQTT device seq per ingest stream (issue 19)',
    sql: `
      -- Last seq a device sent on an ingest stream ("<device>/<telemetry|alarm>"), written in the
      -- transaction that commits the message's records, so that a QoS 1 message resent after a crash
      -- (committed, PUBACK lost with the process) is recognised and not stored twice. One row per
      -- stream, a few per MQTT device; kept when records are released or evicted.
      CREATE TABLE device_seq (
        stream TEXT PRIMARY KEY,
        seq    INTEGER NOT NULL
      ) WITHOUT ROWID;
    `,
  },
  {
    name: 'paging: alarm transitions the gateway pages itself when the relay is unreachable (issue 13 §7)',
    sql: `
      -- One row per alarm-level transition (raised, or cleared after a paged raise) the pager of
      -- agent/paging watches, by the transition record's seq: kept after the record itself is
      -- released, so a restart neither pages a transition twice nor forgets one that is due.
      -- Names are text: a few rows a day. status: waiting (for the relay's acknowledgement until
      -- due), paging, paged, failed (every delivery gave up), acknowledged (the relay had it in
      -- time), skipped (an all-clear for a raise that was not paged). deliveries: JSON by
      -- "<recipient>/<channel kind>" of {ok, attempts, nextAt, code}; noted: the 'paged' record
      -- (protocols/records.ts) was appended. Times: gateway wall clock, ms.
      CREATE TABLE paging (
        seq        INTEGER PRIMARY KEY,
        device     TEXT NOT NULL,
        channel    TEXT NOT NULL,
        rule       TEXT NOT NULL,
        level      TEXT NOT NULL,
        state      TEXT NOT NULL,
        value      REAL,
        unit       TEXT NOT NULL,
        threshold  REAL,
        ts         INTEGER NOT NULL,
        due        INTEGER NOT NULL,
        status     TEXT NOT NULL,
        deliveries TEXT NOT NULL DEFAULT '{}',
        paged_at   INTEGER,
        noted      INTEGER NOT NULL DEFAULT 0
      );
      CREATE INDEX paging_open ON paging (due) WHERE status IN ('waiting', 'paging') OR (status = 'paged' AND noted = 0);
    `,
  },
  FLEET_COMMANDS_MIGRATION,
];

/** Brings the buffer file up to `migrations.length` (platform/sqlite/migrate.ts: one transaction per step). */
export function migrate(db: Database, logger: Logger, migrations: readonly Migration[] = MIGRATIONS): { from: number; to: number } {
  return migrateSqlite(db, migrations, { logger, message: 'buffer schema migrated', tooNew: schemaTooNew, failed: migrationFailed });
}
