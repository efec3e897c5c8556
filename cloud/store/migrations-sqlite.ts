import type { Database } from 'better-sqlite3';
import Sqlite from 'better-sqlite3';
import type { Logger } from 'pino';
import { migrate, type SqliteMigration } from '../../platform/sqlite/migrate.ts';
import { backupBeforeUpgrade } from './backup.ts';
import { migrationFailed, schemaTooNew } from './errors.ts';

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
  {
    name: 'alerts: alerts, routes, outbox, append-only deliveries, cursors',
    sql: `
      -- cloud/store/alerts-types.ts says what each column means. Times in ms since the epoch.
      -- The alerts detector's cursor over alarm records follows received_at; alarm records are
      -- rare among readings, so a partial index costs ingest next to nothing.
      CREATE INDEX records_alarm_received ON records (received_at, gateway, seq) WHERE kind = 'alarm';

      -- family: the id without the transition's seq (alarm:<gw>:<device>:<channel>:<rule>); at most
      -- one open alert per family. facts: JSON object.
      CREATE TABLE alerts (
        id         TEXT PRIMARY KEY,
        family     TEXT NOT NULL,
        kind       TEXT NOT NULL,
        severity   TEXT NOT NULL CHECK (severity IN ('info', 'warning', 'alarm')),
        gateway    TEXT,
        device     TEXT,
        channel    TEXT,
        obra       TEXT,
        title      TEXT NOT NULL,
        facts      TEXT NOT NULL,
        state      TEXT NOT NULL CHECK (state IN ('open', 'closed')),
        opened_at  INTEGER NOT NULL,
        closed_at  INTEGER,
        acked_at   INTEGER,
        acked_by   TEXT,
        updated_at INTEGER NOT NULL
      ) WITHOUT ROWID;
      CREATE INDEX alerts_state_opened ON alerts (state, opened_at, id);
      CREATE INDEX alerts_opened ON alerts (opened_at, id);
      CREATE INDEX alerts_family ON alerts (family, opened_at);

      -- One row per (alert, rule) that notified: the escalation level reached and when the next
      -- step and reminder are due (NULL: none).
      CREATE TABLE alert_routes (
        alert_id    TEXT NOT NULL,
        rule        TEXT NOT NULL,
        level       INTEGER NOT NULL,
        escalate_at INTEGER,
        remind_at   INTEGER,
        reminders   INTEGER NOT NULL DEFAULT 0,
        created_at  INTEGER NOT NULL,
        PRIMARY KEY (alert_id, rule)
      ) WITHOUT ROWID;
      CREATE INDEX alert_routes_escalate ON alert_routes (escalate_at) WHERE escalate_at IS NOT NULL;
      CREATE INDEX alert_routes_remind ON alert_routes (remind_at) WHERE remind_at IS NOT NULL;

      -- One message to one address; key: the idempotency key (Message-ID, webhook key). A claim
      -- sets state sending and next_attempt_at to the lease's end, so an expired lease is due again.
      CREATE TABLE alert_outbox (
        id              INTEGER PRIMARY KEY,
        key             TEXT NOT NULL UNIQUE,
        alert_id        TEXT,
        rule            TEXT NOT NULL,
        message_kind    TEXT NOT NULL,
        grp             TEXT NOT NULL,
        recipient       TEXT NOT NULL,
        channel         TEXT NOT NULL,
        address         TEXT NOT NULL,
        severity        TEXT NOT NULL,
        payload         TEXT NOT NULL,
        state           TEXT NOT NULL CHECK (state IN ('queued', 'sending', 'sent', 'given_up', 'held', 'digested', 'cancelled')),
        attempts        INTEGER NOT NULL DEFAULT 0,
        next_attempt_at INTEGER NOT NULL,
        leased_by       TEXT,
        created_at      INTEGER NOT NULL,
        updated_at      INTEGER NOT NULL,
        sent_at         INTEGER,
        provider_id     TEXT,
        last_code       TEXT,
        last_detail     TEXT,
        digest_id       INTEGER
      );
      CREATE INDEX alert_outbox_due ON alert_outbox (channel, next_attempt_at, id) WHERE state IN ('queued', 'sending');
      CREATE INDEX alert_outbox_alert ON alert_outbox (alert_id, id);
      CREATE INDEX alert_outbox_window ON alert_outbox (channel, address, rule, created_at);
      CREATE INDEX alert_outbox_held ON alert_outbox (created_at) WHERE state = 'held';

      -- Every step of every message (queued, sent, failed, given_up, held, digested, cancelled).
      CREATE TABLE alert_deliveries (
        id        INTEGER PRIMARY KEY,
        outbox_id INTEGER NOT NULL,
        alert_id  TEXT,
        at        INTEGER NOT NULL,
        outcome   TEXT NOT NULL,
        attempt   INTEGER NOT NULL,
        code      TEXT,
        detail    TEXT,
        instance  TEXT NOT NULL
      );
      CREATE INDEX alert_deliveries_alert ON alert_deliveries (alert_id, id);
      CREATE INDEX alert_deliveries_outbox ON alert_deliveries (outbox_id, id);
      CREATE TRIGGER alert_deliveries_no_update BEFORE UPDATE ON alert_deliveries BEGIN SELECT RAISE(ABORT, 'alert_deliveries is append-only'); END;
      CREATE TRIGGER alert_deliveries_no_delete BEFORE DELETE ON alert_deliveries BEGIN SELECT RAISE(ABORT, 'alert_deliveries is append-only'); END;

      -- Where each detector stopped (alarm records: received_at; integrity alarms: id).
      CREATE TABLE alert_cursors (
        name  TEXT PRIMARY KEY,
        value INTEGER NOT NULL
      ) WITHOUT ROWID;
    `,
  },
  {
    name: 'DGA review: state review, findings, corrected values, audit actor',
    sql: `
      -- SQLite cannot change a CHECK: the queue is rebuilt with the state 'review' (issue 14 §2).
      -- findings: JSON array of protocols/dga plausibility findings; corrected: JSON Measurement a
      -- person approved in place of the derived one (what is sent; the readings stay untouched).
      CREATE TABLE dga_submissions_v4 (
        obra             TEXT NOT NULL,
        slot             INTEGER NOT NULL,
        kind             TEXT NOT NULL,
        state            TEXT NOT NULL CHECK (state IN ('pending', 'sending', 'accepted', 'rejected', 'failed', 'needs-attention', 'missing', 'review')),
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
        findings         TEXT,
        corrected        TEXT,
        review_action    TEXT,
        reviewed_by      TEXT,
        reviewed_at      INTEGER,
        review_reason    TEXT,
        PRIMARY KEY (obra, slot)
      ) WITHOUT ROWID;
      INSERT INTO dga_submissions_v4 (obra, slot, kind, state, measurement, totalizer, missing_reason, attempts, next_attempt_at, claimed_at, claimed_by,
          receipt, last_outcome, last_message, last_http_status, created_at, updated_at, accepted_at, verification)
        SELECT obra, slot, kind, state, measurement, totalizer, missing_reason, attempts, next_attempt_at, claimed_at, claimed_by,
          receipt, last_outcome, last_message, last_http_status, created_at, updated_at, accepted_at, verification FROM dga_submissions;
      DROP TABLE dga_submissions;
      ALTER TABLE dga_submissions_v4 RENAME TO dga_submissions;
      CREATE INDEX dga_submissions_state ON dga_submissions (obra, state, slot);
      CREATE INDEX dga_submissions_sending ON dga_submissions (claimed_at) WHERE state = 'sending';
      -- Who acted (a review, a retry): the operator token's name, or the CLI's user.
      ALTER TABLE dga_audit ADD COLUMN actor TEXT;
    `,
  },
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
