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
import type { PostgresMigration } from './migrations-postgres.ts';
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

/*
 * PostgreSQL (issue 18 §3): `records` becomes a table partitioned by month of
 * `received_at` (the relay's own clock), with narrow rows and the few indexes its queries need.
 * docs/storage.md#records-on-postgresql-partitions-and-exactly-once gives the argument; in short:
 *
 * - Rows: the hash as its 32 bytes (`bytea`), `kind` and `quality` as the smallint codes of
 *   records-codec.ts, the fixed-width columns first so no padding sits between them.
 * - Partitions: RANGE on `received_at`, one per UTC month (`records_YYYY_MM`), created ahead by
 *   `atalaya_records_partitions(from, to)` (records-partitions.ts calls it at start and daily) and a
 *   DEFAULT partition, so no row is ever refused. Anchoring claims by `received_at` and alerts
 *   follow `received_at`, so both prune to the newest partitions; an operator drops whole months
 *   (`atalaya_records_drop_before`). A generated column (`record_time`) cannot be a partition key,
 *   and a gateway's own clock may be anywhere.
 * - Indexes, on every partition. What a reading's COPY writes: `records_gateway_seq (gateway,
 *   seq)`, what the primary key did (a partitioned table's unique index must contain the
 *   partition key, so exactly-once is the ingest's: the gateway row lock,
 *   records-ingest-postgres.ts); `records_gateway_time (gateway, record_time, seq)` for every
 *   read that names a gateway (a channel, an organization's list, DGA); `records_time
 *   (record_time, gateway, seq)` for the pages of every read that names none (the dashboard's
 *   "any gateway", an organization's list): without it such a page sorts every row it selects,
 *   which a year of a fleet cannot afford; BRIN on `received_at`, a few pages a partition. The unanchored records
 *   are not indexed (records_unanchored cost a third of the COPY rate: every connection inserting
 *   at its right edge): `unanchored_spans` has a row per ingest, as on SQLite, and anchoring's
 *   claim takes records through `records_gateway_seq` (records-sql.ts).
 *   Written only for alarm rows: `records_alarm_time`, `records_alarm_received` (the alerts'
 *   walk); only by the claim: `records_anchor_batch`. Gone: the unique key, records_channel_time
 *   (device and channel are a filter on the gateway's time range) and records_unanchored.
 *
 * The old rows are copied (kind, quality and hash converted; an unknown kind or quality, or a hash
 * that is not 64 hex digits, fails the step and leaves the database as it was) into partitions
 * made for each month they were received in, and `gateways.highest_seq` is raised to the highest
 * stored seq, which the ingest's fast path relies on. Never edit it once released: add a step.
 */
/** Partitions made ahead of the current month, at start and on each daily tick (records-partitions.ts). */
export const PARTITION_MONTHS_AHEAD = 3;

/**
 * Key of the transaction-level advisory lock that orders partition changes between relays
 * (docs/storage.md#postgresql-advisory-locks). 'recpart' in ASCII.
 */
export const PARTITIONS_LOCK_KEY = 0x72_65_63_70_61_72_74n;

export const POSTGRES_RECORDS_V2: PostgresMigration = {
  name: 'records v2: partitioned by month of received_at, narrow rows, fewer indexes',
  sql: `
    ALTER TABLE records RENAME TO records_v1;
    -- Their names are the new table's; the old rows are read once, in a sequential scan.
    DROP INDEX records_channel_time, records_gateway_time, records_time, records_alarm_time, records_gateway_alarm_time,
      records_unanchored, records_anchor_batch, records_alarm_received;

    CREATE TABLE records (
      seq          bigint NOT NULL,
      ts           bigint NOT NULL,
      ts_corrected bigint,
      mono         bigint NOT NULL,
      received_at  bigint NOT NULL,
      record_time  bigint GENERATED ALWAYS AS (COALESCE(ts_corrected, ts)) STORED,
      anchor_batch bigint,
      value        double precision,
      flags        integer NOT NULL,
      kind         smallint NOT NULL,
      quality      smallint NOT NULL,
      exception    smallint,
      priority     smallint NOT NULL,
      gateway      text NOT NULL,
      device       text NOT NULL,
      channel      text NOT NULL,
      unit         text NOT NULL,
      boot_id      text NOT NULL,
      alarm        text,
      hash         bytea NOT NULL
    ) PARTITION BY RANGE (received_at);
    CREATE TABLE records_default PARTITION OF records DEFAULT;

    CREATE INDEX records_gateway_seq ON records (gateway, seq);
    CREATE INDEX records_gateway_time ON records (gateway, record_time, seq);
    CREATE INDEX records_time ON records (record_time, gateway, seq);
    CREATE INDEX records_anchor_batch ON records (anchor_batch, gateway, seq) WHERE anchor_batch IS NOT NULL;
    CREATE INDEX records_alarm_time ON records (record_time, gateway, seq) WHERE kind = 1;
    CREATE INDEX records_alarm_received ON records (received_at, gateway, seq) WHERE kind = 1;
    CREATE INDEX records_received_brin ON records USING brin (received_at) WITH (autosummarize = on);

    -- The partitions of every UTC month that meets [from_ms, to_ms); returns how many it made.
    -- A month whose rows already sit in the DEFAULT partition is left there (PostgreSQL would
    -- refuse the new partition), and a lock that does not come within lock_timeout fails the call,
    -- to be retried by the next tick rather than queue every ingest behind it.
    CREATE FUNCTION atalaya_records_partitions(from_ms bigint, to_ms bigint) RETURNS integer LANGUAGE plpgsql AS $$
    DECLARE
      month timestamp := date_trunc('month', to_timestamp(from_ms / 1000.0) AT TIME ZONE 'UTC');
      next_month timestamp;
      lo bigint;
      hi bigint;
      name text;
      made integer := 0;
    BEGIN
      PERFORM pg_advisory_xact_lock(${PARTITIONS_LOCK_KEY});
      WHILE (extract(epoch FROM month) * 1000)::bigint < to_ms LOOP
        next_month := month + interval '1 month';
        lo := (extract(epoch FROM month) * 1000)::bigint;
        hi := (extract(epoch FROM next_month) * 1000)::bigint;
        name := 'records_' || to_char(month, 'YYYY_MM');
        IF to_regclass(name) IS NULL
           AND NOT EXISTS (SELECT 1 FROM records_default WHERE received_at >= lo AND received_at < hi) THEN
          EXECUTE format('CREATE TABLE %I PARTITION OF records FOR VALUES FROM (%s) TO (%s)', name, lo, hi);
          made := made + 1;
        END IF;
        month := next_month;
      END LOOP;
      RETURN made;
    END $$;

    -- Drops the monthly partitions that end at or before before_ms; returns their names. Rows not
    -- in a batch confirmed on chain are never dropped: such a partition stops the call (55006).
    CREATE FUNCTION atalaya_records_drop_before(before_ms bigint) RETURNS SETOF text LANGUAGE plpgsql AS $$
    DECLARE
      part text;
      held boolean;
    BEGIN
      PERFORM pg_advisory_xact_lock(${PARTITIONS_LOCK_KEY});
      FOR part IN
        SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = 'records'::regclass AND c.relname ~ '^records_[0-9]{4}_[0-9]{2}$'
          AND (extract(epoch FROM make_timestamp(substr(c.relname, 9, 4)::int, substr(c.relname, 14, 2)::int, 1, 0, 0, 0) + interval '1 month') * 1000)::bigint <= before_ms
        ORDER BY c.relname
      LOOP
        EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I r WHERE r.anchor_batch IS NULL OR NOT EXISTS '
          || '(SELECT 1 FROM anchor_batches b WHERE b.id = r.anchor_batch AND b.status = ''confirmed''))', part) INTO held;
        IF held THEN
          RAISE EXCEPTION 'partition % holds records not in a confirmed anchor batch: nothing dropped', part USING ERRCODE = 'object_in_use',
            HINT = 'proofs of those records still need them: see atalaya relay anchor status, and drop only months before them';
        END IF;
        EXECUTE format('DROP TABLE %I', part);
        RETURN NEXT part;
      END LOOP;
    END $$;

    -- A partition for each month the old rows were received in (not every month since the oldest:
    -- one odd receive time must not make decades of them), and the months ahead of now.
    SELECT atalaya_records_partitions(m, m + 1) FROM (
      SELECT DISTINCT (extract(epoch FROM date_trunc('month', to_timestamp(received_at / 1000.0) AT TIME ZONE 'UTC')) * 1000)::bigint AS m
      FROM records_v1) months;
    SELECT atalaya_records_partitions((extract(epoch FROM now()) * 1000)::bigint,
      (extract(epoch FROM now() + interval '${PARTITION_MONTHS_AHEAD + 1} months') * 1000)::bigint);

    INSERT INTO records (seq, ts, ts_corrected, mono, received_at, anchor_batch, value, flags, kind, quality, exception, priority,
                         gateway, device, channel, unit, boot_id, alarm, hash)
      SELECT seq, ts, ts_corrected, mono, received_at, anchor_batch, value, flags,
             CASE kind WHEN 'reading' THEN 0 WHEN 'alarm' THEN 1 END,
             CASE quality WHEN 'good' THEN 0 WHEN 'comm_error' THEN 1 WHEN 'exception' THEN 2 WHEN 'out_of_range' THEN 3
                          WHEN 'sensor_fault' THEN 4 END,
             exception, priority, gateway, device, channel, unit, boot_id, alarm,
             CASE WHEN hash ~ '^[0-9a-f]{64}$' THEN decode(hash, 'hex') END
      FROM records_v1 ORDER BY received_at, gateway, seq;
    -- Anchoring's unclaimed records, one span per ingest that stored some (the same table as on
    -- SQLite): the old unclaimed records as one span per gateway and receive time.
    CREATE TABLE unanchored_spans (
      id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      gateway     text NOT NULL,
      received_at bigint NOT NULL,
      seq_from    bigint NOT NULL,
      seq_to      bigint NOT NULL,
      records     integer NOT NULL
    );
    CREATE INDEX unanchored_spans_received ON unanchored_spans (received_at);
    INSERT INTO unanchored_spans (gateway, received_at, seq_from, seq_to, records)
      SELECT gateway, received_at, min(seq), max(seq), count(*) FROM records_v1 WHERE anchor_batch IS NULL
      GROUP BY gateway, received_at ORDER BY received_at, gateway;
    DROP TABLE records_v1;

    UPDATE gateways g SET highest_seq = m.seq
      FROM (SELECT gateway, max(seq) AS seq FROM records GROUP BY gateway) m
      WHERE m.gateway = g.id AND (g.highest_seq IS NULL OR g.highest_seq < m.seq);
    ANALYZE records;
  `,
};
