import type { Database } from 'better-sqlite3';
import Sqlite from 'better-sqlite3';
import type { Logger } from 'pino';
import { migrate, type SqliteMigration } from '../../platform/sqlite/migrate.ts';
import { backupBeforeUpgrade } from './backup.ts';
import { migrationFailed, schemaTooNew } from './errors.ts';
import { FLEET_MIGRATION_SQLITE } from './migrations-fleet.ts';
import { FLEET_CONFIG_MIGRATION_SQLITE } from './migrations-fleet-config.ts';
import { IDENTITY_MIGRATION_SQLITE } from './migrations-identity.ts';
import { ORGS_MIGRATION_SQLITE } from './migrations-orgs.ts';
import { SQLITE_RECORDS_V2 } from './migrations-records-v2.ts';
import { RELEASES_MIGRATION_SQLITE } from './migrations-releases.ts';
import { SOURCES_MIGRATION_SQLITE } from './migrations-sources.ts';
import { SOURCES_ORG_MIGRATION_SQLITE } from './migrations-sources-org.ts';
import { ALERTS_MIGRATION_SQLITE, DGA_REVIEW_MIGRATION_SQLITE } from './migrations-sqlite-4-5.ts';

export type { SqliteMigration } from '../../platform/sqlite/migrate.ts';
export { userVersion } from '../../platform/sqlite/migrate.ts';

/**
 * Schema steps, in order: step i (0-based) brings the file to `PRAGMA user_version` i + 1. Append
 * new steps; never edit a released one. Same tables and columns as migrations-postgres.ts, so
 * rows.ts decodes both.
 */
export const SQLITE_MIGRATIONS: readonly SqliteMigration[] = [
  {
    name: 'gateways, records, nonces, integrity alarms',
    sql: `
      -- record_count and highest_seq are maintained by ingest in the batch's transaction, so
      -- listGateways never counts records. Times in ms since the epoch.
      CREATE TABLE gateways (
        id                TEXT PRIMARY KEY,
        secret_ciphertext TEXT NOT NULL,
        created_at        INTEGER NOT NULL,
        last_seen_at      INTEGER,
        highest_seq       INTEGER,
        clock_offset_ms   INTEGER,
        record_count      INTEGER NOT NULL DEFAULT 0
      ) WITHOUT ROWID;

      -- Clustered on (gateway, seq): each gateway's batches append at the end of its own range,
      -- and the per-record duplicate check is the primary-key lookup. No foreign key to gateways:
      -- ingest checks the gateway once per batch, and gateways are never deleted.
      -- kind: reading|alarm; quality: protocols/records.ts QUALITIES; alarm: JSON detail (rows.ts),
      -- NULL on readings; hash: sha256 hex of the canonical encoding.
      -- record_time is the time every query filters and orders on (the corrected time when the
      -- gateway clock was wrong); VIRTUAL costs no space in the row, only in the indexes.
      CREATE TABLE records (
        gateway      TEXT NOT NULL,
        seq          INTEGER NOT NULL,
        kind         TEXT NOT NULL,
        device       TEXT NOT NULL,
        channel      TEXT NOT NULL,
        value        REAL,
        unit         TEXT NOT NULL,
        quality      TEXT NOT NULL,
        exception    INTEGER,
        ts           INTEGER NOT NULL,
        ts_corrected INTEGER,
        mono         INTEGER NOT NULL,
        boot_id      TEXT NOT NULL,
        priority     INTEGER NOT NULL,
        flags        INTEGER NOT NULL,
        alarm        TEXT,
        received_at  INTEGER NOT NULL,
        hash         TEXT NOT NULL,
        record_time  INTEGER GENERATED ALWAYS AS (coalesce(ts_corrected, ts)) VIRTUAL,
        PRIMARY KEY (gateway, seq)
      ) WITHOUT ROWID;
      -- One per query shape of cursor.ts: a channel's series, a gateway's records, everything by
      -- time; alarms are rare among readings, so a partial index finds them without walking readings.
      CREATE INDEX records_channel_time ON records (gateway, device, channel, record_time, seq);
      CREATE INDEX records_gateway_time ON records (gateway, record_time, seq);
      CREATE INDEX records_time ON records (record_time, gateway, seq);
      CREATE INDEX records_alarm_time ON records (record_time, gateway, seq) WHERE kind = 'alarm';
      CREATE INDEX records_gateway_alarm_time ON records (gateway, record_time, seq) WHERE kind = 'alarm';

      CREATE TABLE nonces (
        gateway    TEXT NOT NULL,
        nonce      TEXT NOT NULL,
        expires_at INTEGER NOT NULL,
        PRIMARY KEY (gateway, nonce)
      ) WITHOUT ROWID;
      CREATE INDEX nonces_expiry ON nonces (expires_at);

      CREATE TABLE integrity_alarms (
        id            INTEGER PRIMARY KEY,
        gateway       TEXT NOT NULL,
        seq           INTEGER NOT NULL,
        existing_hash TEXT NOT NULL,
        offered_hash  TEXT NOT NULL,
        at            INTEGER NOT NULL
      );
    `,
  },
  {
    name: 'DGA credentials, obras, submission queue, append-only audit',
    sql: `
      -- cloud/store/dga-types.ts says what each column means. Times in ms since the epoch.
      -- ciphertext: {rutUsuario, rutEmpresa, password} as JSON, AES-256-GCM under the relay key.
      CREATE TABLE dga_credentials (
        obra       TEXT PRIMARY KEY,
        ciphertext TEXT NOT NULL,
        updated_at INTEGER NOT NULL
      ) WITHOUT ROWID;

      -- One row per obra: the claim transaction locks it, so spacing and one-send-at-a-time hold
      -- across relay instances.
      CREATE TABLE dga_obras (
        obra            TEXT PRIMARY KEY,
        derived_through INTEGER,
        last_send_at    INTEGER,
        rechecked_at    INTEGER,
        stopped_at      INTEGER,
        stopped_reason  TEXT,
        created_at      INTEGER NOT NULL
      ) WITHOUT ROWID;

      -- measurement: JSON of protocols/dga Measurement, NULL when missing.
      CREATE TABLE dga_submissions (
        obra             TEXT NOT NULL,
        slot             INTEGER NOT NULL,
        kind             TEXT NOT NULL,
        state            TEXT NOT NULL CHECK (state IN ('pending', 'sending', 'accepted', 'rejected', 'failed', 'needs-attention', 'missing')),
        measurement      TEXT,
        totalizer        REAL,
        missing_reason   TEXT,
        attempts         INTEGER NOT NULL DEFAULT 0,
        next_attempt_at  INTEGER,
        claimed_at       INTEGER,
        claimed_by       TEXT,
        receipt          TEXT,
        last_outcome     TEXT,
        last_message     TEXT,
        last_http_status INTEGER,
        created_at       INTEGER NOT NULL,
        updated_at       INTEGER NOT NULL,
        accepted_at      INTEGER,
        verification     TEXT,
        PRIMARY KEY (obra, slot)
      ) WITHOUT ROWID;
      -- The claim's "oldest due" and the status counts walk one obra's rows of one state.
      CREATE INDEX dga_submissions_state ON dga_submissions (obra, state, slot);
      CREATE INDEX dga_submissions_sending ON dga_submissions (claimed_at) WHERE state = 'sending';

      -- Every attempt, before the request leaves (phase request: what is about to be sent, the
      -- password redacted) and after (phase outcome). Never updated or deleted (Res. 2.170 §6.3).
      CREATE TABLE dga_audit (
        id          INTEGER PRIMARY KEY,
        obra        TEXT NOT NULL,
        slot        INTEGER NOT NULL,
        attempt     INTEGER NOT NULL,
        phase       TEXT NOT NULL,
        at          INTEGER NOT NULL,
        instance    TEXT NOT NULL,
        interface   TEXT,
        request     TEXT,
        outcome     TEXT,
        http_status INTEGER,
        message     TEXT,
        receipt     TEXT
      );
      CREATE INDEX dga_audit_slot ON dga_audit (obra, slot, id);
      CREATE TRIGGER dga_audit_no_update BEFORE UPDATE ON dga_audit BEGIN SELECT RAISE(ABORT, 'dga_audit is append-only'); END;
      CREATE TRIGGER dga_audit_no_delete BEFORE DELETE ON dga_audit BEGIN SELECT RAISE(ABORT, 'dga_audit is append-only'); END;
    `,
  },
  {
    name: 'anchoring: batches, transactions, errors, lease',
    sql: `
      -- cloud/store/anchor-types.ts says what each column means. Times in ms since the epoch,
      -- wei amounts as decimal text (they exceed 2^53).
      -- anchor_batch: the batch a record is a leaf of, set once by the claim, never changed.
      ALTER TABLE records ADD COLUMN anchor_batch INTEGER;
      -- The claim and the unclaimed count walk only what no batch holds yet; a batch's leaves in
      -- (gateway, seq) order and a leaf's index come off the second.
      CREATE INDEX records_unanchored ON records (received_at) WHERE anchor_batch IS NULL;
      CREATE INDEX records_anchor_batch ON records (anchor_batch, gateway, seq) WHERE anchor_batch IS NOT NULL;

      CREATE TABLE anchor_batches (
        id           INTEGER PRIMARY KEY,
        period_start INTEGER,
        period_end   INTEGER NOT NULL,
        status       TEXT NOT NULL CHECK (status IN ('building', 'pending', 'sent', 'mined', 'confirmed')),
        size         INTEGER NOT NULL,
        root         TEXT,
        created_at   INTEGER NOT NULL,
        updated_at   INTEGER NOT NULL,
        tx_hash      TEXT,
        block_number INTEGER,
        block_hash   TEXT,
        block_time   INTEGER,
        gas_used     INTEGER,
        cost_wei     TEXT,
        confirmed_at INTEGER,
        reorgs       INTEGER NOT NULL DEFAULT 0
      );
      CREATE INDEX anchor_batches_status ON anchor_batches (status, id);
      CREATE INDEX anchor_batches_period_end ON anchor_batches (period_end);

      -- raw: the signed transaction, stored before it is broadcast; receipt, block: JSON text of
      -- the receipt and block header once mined (nodes may stop serving them, EIP-4444).
      CREATE TABLE anchor_txs (
        id                       INTEGER PRIMARY KEY,
        batch_id                 INTEGER NOT NULL REFERENCES anchor_batches (id),
        chain_id                 INTEGER NOT NULL,
        sender                   TEXT NOT NULL,
        nonce                    INTEGER NOT NULL,
        hash                     TEXT NOT NULL,
        raw                      TEXT NOT NULL,
        max_fee_per_gas          TEXT NOT NULL,
        max_priority_fee_per_gas TEXT NOT NULL,
        status                   TEXT NOT NULL CHECK (status IN ('signed', 'broadcast', 'mined', 'replaced', 'abandoned')),
        replaces                 INTEGER,
        created_at               INTEGER NOT NULL,
        broadcast_at             INTEGER,
        block_number             INTEGER,
        block_hash               TEXT,
        gas_used                 INTEGER,
        effective_gas_price      TEXT,
        receipt                  TEXT,
        block                    TEXT
      );
      CREATE INDEX anchor_txs_batch ON anchor_txs (batch_id, id);
      CREATE INDEX anchor_txs_live ON anchor_txs (nonce, id) WHERE status IN ('signed', 'broadcast');

      -- The next nonce to use per sender, allocated in the transaction that stores the signed
      -- transaction (ethers' NonceManager keeps it in memory only).
      CREATE TABLE anchor_nonces (
        chain_id   INTEGER NOT NULL,
        sender     TEXT NOT NULL,
        next_nonce INTEGER NOT NULL,
        PRIMARY KEY (chain_id, sender)
      ) WITHOUT ROWID;

      -- Consecutive repeats of one (code, batch_id) fold into the newest row (count, last_at).
      CREATE TABLE anchor_errors (
        id       INTEGER PRIMARY KEY,
        at       INTEGER NOT NULL,
        last_at  INTEGER NOT NULL,
        count    INTEGER NOT NULL DEFAULT 1,
        batch_id INTEGER,
        tx_id    INTEGER,
        code     TEXT NOT NULL,
        message  TEXT NOT NULL
      );

      -- Which relay anchors, when several share a database; one row per lease name.
      CREATE TABLE anchor_lease (
        name       TEXT PRIMARY KEY,
        holder     TEXT NOT NULL,
        expires_at INTEGER NOT NULL
      ) WITHOUT ROWID;
    `,
  },
  ALERTS_MIGRATION_SQLITE,
  DGA_REVIEW_MIGRATION_SQLITE,
  FLEET_MIGRATION_SQLITE,
  SOURCES_MIGRATION_SQLITE,
  ORGS_MIGRATION_SQLITE,
  IDENTITY_MIGRATION_SQLITE,
  FLEET_CONFIG_MIGRATION_SQLITE,
  RELEASES_MIGRATION_SQLITE,
  SOURCES_ORG_MIGRATION_SQLITE,
  SQLITE_RECORDS_V2,
];

/** Brings the relay's SQLite file up to `migrations.length` (platform/sqlite/migrate.ts: one transaction per step). */
export function migrateSqlite(db: Database, logger: Logger, migrations: readonly SqliteMigration[] = SQLITE_MIGRATIONS): { from: number; to: number } {
  return migrate(db, migrations, { logger, message: 'relay store migrated', tooNew: schemaTooNew, failed: migrationFailed });
}

/**
 * Opens the relay's SQLite file the one way every connection on it does: WAL (readers beside one
 * writer), the configured synchronous level, the given busy timeout, migrations applied (after a
 * copy of a file at an older version, backup.ts). Closes the file again when any step fails.
 * `now` (ms since the epoch) stamps that copy's name.
 */
export function openRelaySqlite(
  file: string,
  o: { readonly synchronous?: 'full' | 'normal' | undefined; readonly busyTimeoutMs: number; readonly logger: Logger; readonly now?: () => number },
): { db: Database; from: number; to: number } {
  const db = new Sqlite(file);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${o.synchronous === 'normal' ? 'NORMAL' : 'FULL'}`);
    db.pragma(`busy_timeout = ${Math.trunc(o.busyTimeoutMs)}`);
    backupBeforeUpgrade(db, file, SQLITE_MIGRATIONS.length, (o.now ?? Date.now)(), o.logger);
    return { db, ...migrateSqlite(db, o.logger) };
  } catch (err) {
    db.close();
    throw err;
  }
}
