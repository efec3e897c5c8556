/**
 * Records v2 (issue 18 §3): the relay's `records` table narrower and with two full-width secondary
 * indexes instead of five, so every stored reading costs less to write. Never edit it once
 * released: add a step.
 *
 * What changes on SQLite, and why (test/bench/relay-records-layout.ts measures each choice):
 * - kind and quality are small integer codes, hash the 32 bytes of the SHA-256 (records-codec.ts
 *   holds the code tables and the conversions; rows.ts decodes rows to the same RelayRecord).
 * - Secondary indexes every reading pays for: records_channel_time (a channel's series: DGA, charts)
 *   and records_time (everything by time, an organization's records). A gateway's page is merged
 *   from its series (gateway-page.ts, docs/storage.md#records-v2).
 * - The partial indexes on kind = 1 (alarm) stay: readings never enter them. records_anchor_batch
 *   stays: a record enters it when anchoring claims it, off the ingest path.
 * - records_unanchored (an entry per new record, every new record being unclaimed) is gone:
 *   `unanchored_spans` keeps one row per ingest that stored records (its gateway, receive time,
 *   seq range and count), and anchoring's claim finds the records through their primary key.
 * - WITHOUT ROWID stays: the clustered (gateway, seq) key is the per-record duplicate check, and a
 *   rowid table measured no cheaper per row while adding a primary-key index of its own.
 *
 * Every row is copied; a value the codes or unhex() cannot take (which ingest never stored) leaves a
 * NULL in a NOT NULL column, so the step fails and is rolled back rather than guessing.
 */
import type { SqliteMigration } from '../../platform/sqlite/migrate.ts';
import { KIND_CODES, QUALITY_CODES } from './records-codec.ts';

const NAME = 'records v2: narrow kind, quality and hash; two full-width indexes; unanchored spans';

/** `CASE column WHEN 'name' THEN code … END` from a code table (records-codec.ts), so the codes are written in one place. */
function codeCase(column: string, table: readonly string[]): string {
  return `CASE ${column} ${table.map((name, code) => `WHEN '${name}' THEN ${code}`).join(' ')} END`;
}

export const SQLITE_RECORDS_V2: SqliteMigration = {
  name: NAME,
  sql: `
    -- kind: records-codec.ts KIND_CODES; quality: QUALITY_CODES; hash: 32 bytes of the SHA-256.
    CREATE TABLE records_v2 (
      gateway      TEXT NOT NULL,
      seq          INTEGER NOT NULL,
      kind         INTEGER NOT NULL,
      device       TEXT NOT NULL,
      channel      TEXT NOT NULL,
      value        REAL,
      unit         TEXT NOT NULL,
      quality      INTEGER NOT NULL,
      exception    INTEGER,
      ts           INTEGER NOT NULL,
      ts_corrected INTEGER,
      mono         INTEGER NOT NULL,
      boot_id      TEXT NOT NULL,
      priority     INTEGER NOT NULL,
      flags        INTEGER NOT NULL,
      alarm        TEXT,
      received_at  INTEGER NOT NULL,
      hash         BLOB NOT NULL,
      anchor_batch INTEGER,
      record_time  INTEGER GENERATED ALWAYS AS (coalesce(ts_corrected, ts)) VIRTUAL,
      PRIMARY KEY (gateway, seq)
    ) WITHOUT ROWID;
    INSERT INTO records_v2 (gateway, seq, kind, device, channel, value, unit, quality, exception, ts, ts_corrected, mono, boot_id,
                            priority, flags, alarm, received_at, hash, anchor_batch)
      SELECT gateway, seq, ${codeCase('kind', KIND_CODES)}, device, channel, value, unit, ${codeCase('quality', QUALITY_CODES)}, exception, ts,
             ts_corrected, mono, boot_id, priority, flags, alarm, received_at, unhex(hash), anchor_batch
      FROM records ORDER BY gateway, seq;

    -- One span per ingest that stored records: gateway, the receive time all its records share, the
    -- batch's seq range and how many it stored. Anchoring claims spans received before a period's
    -- end and deletes them; the unclaimed count is the sum of the spans' counts.
    CREATE TABLE unanchored_spans (
      id          INTEGER PRIMARY KEY,
      gateway     TEXT NOT NULL,
      received_at INTEGER NOT NULL,
      seq_from    INTEGER NOT NULL,
      seq_to      INTEGER NOT NULL,
      records     INTEGER NOT NULL
    );
    CREATE INDEX unanchored_spans_received ON unanchored_spans (received_at);
    INSERT INTO unanchored_spans (gateway, received_at, seq_from, seq_to, records)
      SELECT gateway, received_at, min(seq), max(seq), count(*) FROM records WHERE anchor_batch IS NULL
      GROUP BY gateway, received_at ORDER BY received_at, gateway;

    DROP TABLE records;
    ALTER TABLE records_v2 RENAME TO records;
    CREATE INDEX records_channel_time ON records (gateway, device, channel, record_time, seq);
    CREATE INDEX records_time ON records (record_time, gateway, seq);
    CREATE INDEX records_alarm_time ON records (record_time, gateway, seq) WHERE kind = 1;
    CREATE INDEX records_gateway_alarm_time ON records (gateway, record_time, seq) WHERE kind = 1;
    CREATE INDEX records_alarm_received ON records (received_at, gateway, seq) WHERE kind = 1;
    CREATE INDEX records_anchor_batch ON records (anchor_batch, gateway, seq) WHERE anchor_batch IS NOT NULL;
  `,
};
