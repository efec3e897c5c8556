import type { PostgresMigration } from './migrations-postgres.ts';

/** Version 4 (issue 13): alerts, their routes, the outbox, append-only deliveries, cursors. */
export const ALERTS_MIGRATION_POSTGRES: PostgresMigration = {
  name: 'alerts: alerts, routes, outbox, append-only deliveries, cursors',
  sql: `
    CREATE INDEX records_alarm_received ON records (received_at, gateway, seq) WHERE kind = 'alarm';

    CREATE TABLE alerts (
      id         text PRIMARY KEY,
      family     text NOT NULL,
      kind       text NOT NULL,
      severity   text NOT NULL CHECK (severity IN ('info', 'warning', 'alarm')),
      gateway    text,
      device     text,
      channel    text,
      obra       text,
      title      text NOT NULL,
      facts      text NOT NULL,
      state      text NOT NULL CHECK (state IN ('open', 'closed')),
      opened_at  bigint NOT NULL,
      closed_at  bigint,
      acked_at   bigint,
      acked_by   text,
      updated_at bigint NOT NULL
    );
    CREATE INDEX alerts_state_opened ON alerts (state, opened_at, id);
    CREATE INDEX alerts_opened ON alerts (opened_at, id);
    CREATE INDEX alerts_family ON alerts (family, opened_at);

    CREATE TABLE alert_routes (
      alert_id    text NOT NULL,
      rule        text NOT NULL,
      level       integer NOT NULL,
      escalate_at bigint,
      remind_at   bigint,
      reminders   integer NOT NULL DEFAULT 0,
      created_at  bigint NOT NULL,
      PRIMARY KEY (alert_id, rule)
    );
    CREATE INDEX alert_routes_escalate ON alert_routes (escalate_at) WHERE escalate_at IS NOT NULL;
    CREATE INDEX alert_routes_remind ON alert_routes (remind_at) WHERE remind_at IS NOT NULL;

    CREATE TABLE alert_outbox (
      id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      key             text NOT NULL UNIQUE,
      alert_id        text,
      rule            text NOT NULL,
      message_kind    text NOT NULL,
      grp             text NOT NULL,
      recipient       text NOT NULL,
      channel         text NOT NULL,
      address         text NOT NULL,
      severity        text NOT NULL,
      payload         text NOT NULL,
      state           text NOT NULL CHECK (state IN ('queued', 'sending', 'sent', 'given_up', 'held', 'digested', 'cancelled')),
      attempts        integer NOT NULL DEFAULT 0,
      next_attempt_at bigint NOT NULL,
      leased_by       text,
      created_at      bigint NOT NULL,
      updated_at      bigint NOT NULL,
      sent_at         bigint,
      provider_id     text,
      last_code       text,
      last_detail     text,
      digest_id       bigint
    );
    CREATE INDEX alert_outbox_due ON alert_outbox (channel, next_attempt_at, id) WHERE state IN ('queued', 'sending');
    CREATE INDEX alert_outbox_alert ON alert_outbox (alert_id, id);
    CREATE INDEX alert_outbox_window ON alert_outbox (channel, address, rule, created_at);
    CREATE INDEX alert_outbox_held ON alert_outbox (created_at) WHERE state = 'held';

    CREATE TABLE alert_deliveries (
      id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      outbox_id bigint NOT NULL,
      alert_id  text,
      at        bigint NOT NULL,
      outcome   text NOT NULL,
      attempt   integer NOT NULL,
      code      text,
      detail    text,
      instance  text NOT NULL
    );
    CREATE INDEX alert_deliveries_alert ON alert_deliveries (alert_id, id);
    CREATE INDEX alert_deliveries_outbox ON alert_deliveries (outbox_id, id);
    CREATE FUNCTION alert_deliveries_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'alert_deliveries is append-only'; END $$;
    CREATE TRIGGER alert_deliveries_no_change BEFORE UPDATE OR DELETE ON alert_deliveries
      FOR EACH ROW EXECUTE FUNCTION alert_deliveries_append_only();

    CREATE TABLE alert_cursors (
      name  text PRIMARY KEY,
      value bigint NOT NULL
    );
  `,
};

/** Version 5 (issue 14): DGA review state, findings, corrected values, the audit's actor. */
export const DGA_REVIEW_MIGRATION_POSTGRES: PostgresMigration = {
  name: 'DGA review: state review, findings, corrected values, audit actor',
  sql: `
    -- migrations-sqlite.ts says what the columns hold (issue 14 §2).
    ALTER TABLE dga_submissions DROP CONSTRAINT dga_submissions_state_check;
    ALTER TABLE dga_submissions ADD CONSTRAINT dga_submissions_state_check
      CHECK (state IN ('pending', 'sending', 'accepted', 'rejected', 'failed', 'needs-attention', 'missing', 'review'));
    ALTER TABLE dga_submissions ADD COLUMN findings text, ADD COLUMN corrected text, ADD COLUMN review_action text,
      ADD COLUMN reviewed_by text, ADD COLUMN reviewed_at bigint, ADD COLUMN review_reason text;
    ALTER TABLE dga_audit ADD COLUMN actor text;
  `,
};
