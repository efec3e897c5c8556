/**
 * Relay SQLite migrations 4 and 5, kept apart from the first three so that each file stays small;
 * SQLITE_MIGRATIONS (migrations-sqlite.ts) lists them in order. Never edit a released step: add one.
 */
import type { SqliteMigration } from '../../platform/sqlite/migrate.ts';

/** 4: the alerts engine (cloud/alerts). */
export const ALERTS_MIGRATION_SQLITE: SqliteMigration = {
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
};

/** 5: DGA review before sending (issue 14 §2). */
export const DGA_REVIEW_MIGRATION_SQLITE: SqliteMigration = {
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
};
