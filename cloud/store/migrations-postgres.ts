import type { Pool, PoolClient } from 'pg';
import type { Logger } from 'pino';
import { isStoreError, migrationFailed, STORE_SCHEMA_TOO_NEW, schemaTooNew } from './errors.ts';
import { FLEET_MIGRATION_POSTGRES } from './migrations-fleet.ts';
import { FLEET_CONFIG_MIGRATION_POSTGRES } from './migrations-fleet-config.ts';
import { IDENTITY_MIGRATION_POSTGRES } from './migrations-identity.ts';
import { ORGS_MIGRATION_POSTGRES } from './migrations-orgs.ts';
import { ALERTS_MIGRATION_POSTGRES, DGA_REVIEW_MIGRATION_POSTGRES } from './migrations-postgres-4-5.ts';
import { POSTGRES_RECORDS_V2 } from './migrations-records-v2.ts';
import { RELEASES_MIGRATION_POSTGRES } from './migrations-releases.ts';
import { SOURCES_MIGRATION_POSTGRES } from './migrations-sources.ts';
import { SOURCES_ORG_MIGRATION_POSTGRES } from './migrations-sources-org.ts';

export interface PostgresMigration {
  /** One line for the log. */
  readonly name: string;
  readonly sql: string;
}

/**
 * Schema steps, in order: step i (0-based) is version i + 1 in schema_migrations. Append new
 * steps; never edit a released one. Same tables and columns as migrations-sqlite.ts (see the
 * comments there), so rows.ts decodes both.
 */
export const POSTGRES_MIGRATIONS: readonly PostgresMigration[] = [
  {
    name: 'gateways, records, nonces, integrity alarms',
    sql: `
      CREATE TABLE gateways (
        id                text PRIMARY KEY,
        secret_ciphertext text NOT NULL,
        created_at        bigint NOT NULL,
        last_seen_at      bigint,
        highest_seq       bigint,
        clock_offset_ms   bigint,
        record_count      bigint NOT NULL DEFAULT 0
      );

      CREATE TABLE records (
        gateway      text NOT NULL,
        seq          bigint NOT NULL,
        kind         text NOT NULL,
        device       text NOT NULL,
        channel      text NOT NULL,
        value        double precision,
        unit         text NOT NULL,
        quality      text NOT NULL,
        exception    smallint,
        ts           bigint NOT NULL,
        ts_corrected bigint,
        mono         bigint NOT NULL,
        boot_id      text NOT NULL,
        priority     smallint NOT NULL,
        flags        integer NOT NULL,
        alarm        text,
        received_at  bigint NOT NULL,
        hash         text NOT NULL,
        record_time  bigint GENERATED ALWAYS AS (COALESCE(ts_corrected, ts)) STORED,
        PRIMARY KEY (gateway, seq)
      );
      CREATE INDEX records_channel_time ON records (gateway, device, channel, record_time, seq);
      CREATE INDEX records_gateway_time ON records (gateway, record_time, seq);
      CREATE INDEX records_time ON records (record_time, gateway, seq);
      CREATE INDEX records_alarm_time ON records (record_time, gateway, seq) WHERE kind = 'alarm';
      CREATE INDEX records_gateway_alarm_time ON records (gateway, record_time, seq) WHERE kind = 'alarm';

      CREATE TABLE nonces (
        gateway    text NOT NULL,
        nonce      text NOT NULL,
        expires_at bigint NOT NULL,
        PRIMARY KEY (gateway, nonce)
      );
      CREATE INDEX nonces_expiry ON nonces (expires_at);

      CREATE TABLE integrity_alarms (
        id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        gateway       text NOT NULL,
        seq           bigint NOT NULL,
        existing_hash text NOT NULL,
        offered_hash  text NOT NULL,
        at            bigint NOT NULL
      );
    `,
  },
  {
    name: 'DGA credentials, obras, submission queue, append-only audit',
    sql: `
      CREATE TABLE dga_credentials (
        obra       text PRIMARY KEY,
        ciphertext text NOT NULL,
        updated_at bigint NOT NULL
      );

      CREATE TABLE dga_obras (
        obra            text PRIMARY KEY,
        derived_through bigint,
        last_send_at    bigint,
        rechecked_at    bigint,
        stopped_at      bigint,
        stopped_reason  text,
        created_at      bigint NOT NULL
      );

      CREATE TABLE dga_submissions (
        obra             text NOT NULL,
        slot             bigint NOT NULL,
        kind             text NOT NULL,
        state            text NOT NULL CHECK (state IN ('pending', 'sending', 'accepted', 'rejected', 'failed', 'needs-attention', 'missing')),
        measurement      text,
        totalizer        double precision,
        missing_reason   text,
        attempts         integer NOT NULL DEFAULT 0,
        next_attempt_at  bigint,
        claimed_at       bigint,
        claimed_by       text,
        receipt          text,
        last_outcome     text,
        last_message     text,
        last_http_status integer,
        created_at       bigint NOT NULL,
        updated_at       bigint NOT NULL,
        accepted_at      bigint,
        verification     text,
        PRIMARY KEY (obra, slot)
      );
      CREATE INDEX dga_submissions_state ON dga_submissions (obra, state, slot);
      CREATE INDEX dga_submissions_sending ON dga_submissions (claimed_at) WHERE state = 'sending';

      CREATE TABLE dga_audit (
        id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        obra        text NOT NULL,
        slot        bigint NOT NULL,
        attempt     integer NOT NULL,
        phase       text NOT NULL,
        at          bigint NOT NULL,
        instance    text NOT NULL,
        interface   text,
        request     text,
        outcome     text,
        http_status integer,
        message     text,
        receipt     text
      );
      CREATE INDEX dga_audit_slot ON dga_audit (obra, slot, id);
      CREATE FUNCTION dga_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'dga_audit is append-only'; END;
      $$;
      CREATE TRIGGER dga_audit_no_change BEFORE UPDATE OR DELETE ON dga_audit FOR EACH ROW EXECUTE FUNCTION dga_audit_append_only();
    `,
  },
  {
    name: 'anchoring: batches, transactions, errors, lease',
    sql: `
      ALTER TABLE records ADD COLUMN anchor_batch bigint;
      CREATE INDEX records_unanchored ON records (received_at) WHERE anchor_batch IS NULL;
      CREATE INDEX records_anchor_batch ON records (anchor_batch, gateway, seq) WHERE anchor_batch IS NOT NULL;

      CREATE TABLE anchor_batches (
        id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        period_start bigint,
        period_end   bigint NOT NULL,
        status       text NOT NULL CHECK (status IN ('building', 'pending', 'sent', 'mined', 'confirmed')),
        size         bigint NOT NULL,
        root         text,
        created_at   bigint NOT NULL,
        updated_at   bigint NOT NULL,
        tx_hash      text,
        block_number bigint,
        block_hash   text,
        block_time   bigint,
        gas_used     bigint,
        cost_wei     text,
        confirmed_at bigint,
        reorgs       integer NOT NULL DEFAULT 0
      );
      CREATE INDEX anchor_batches_status ON anchor_batches (status, id);
      CREATE INDEX anchor_batches_period_end ON anchor_batches (period_end);

      CREATE TABLE anchor_txs (
        id                       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        batch_id                 bigint NOT NULL REFERENCES anchor_batches (id),
        chain_id                 bigint NOT NULL,
        sender                   text NOT NULL,
        nonce                    bigint NOT NULL,
        hash                     text NOT NULL,
        raw                      text NOT NULL,
        max_fee_per_gas          text NOT NULL,
        max_priority_fee_per_gas text NOT NULL,
        status                   text NOT NULL CHECK (status IN ('signed', 'broadcast', 'mined', 'replaced', 'abandoned')),
        replaces                 bigint,
        created_at               bigint NOT NULL,
        broadcast_at             bigint,
        block_number             bigint,
        block_hash               text,
        gas_used                 bigint,
        effective_gas_price      text,
        receipt                  text,
        block                    text
      );
      CREATE INDEX anchor_txs_batch ON anchor_txs (batch_id, id);
      CREATE INDEX anchor_txs_live ON anchor_txs (nonce, id) WHERE status IN ('signed', 'broadcast');

      CREATE TABLE anchor_nonces (
        chain_id   bigint NOT NULL,
        sender     text NOT NULL,
        next_nonce bigint NOT NULL,
        PRIMARY KEY (chain_id, sender)
      );

      CREATE TABLE anchor_errors (
        id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        at       bigint NOT NULL,
        last_at  bigint NOT NULL,
        count    integer NOT NULL DEFAULT 1,
        batch_id bigint,
        tx_id    bigint,
        code     text NOT NULL,
        message  text NOT NULL
      );

      CREATE TABLE anchor_lease (
        name       text PRIMARY KEY,
        holder     text NOT NULL,
        expires_at bigint NOT NULL
      );
    `,
  },
  ALERTS_MIGRATION_POSTGRES,
  DGA_REVIEW_MIGRATION_POSTGRES,
  FLEET_MIGRATION_POSTGRES,
  SOURCES_MIGRATION_POSTGRES,
  ORGS_MIGRATION_POSTGRES,
  IDENTITY_MIGRATION_POSTGRES,
  FLEET_CONFIG_MIGRATION_POSTGRES,
  RELEASES_MIGRATION_POSTGRES,
  SOURCES_ORG_MIGRATION_POSTGRES,
  POSTGRES_RECORDS_V2,
];

/**
 * Key of the transaction-level advisory lock every relay takes before looking at
 * schema_migrations (docs/storage.md#postgresql-advisory-locks):
 * relays starting together apply each step once, one after the other. 'atalaya' in ASCII.
 */
export const MIGRATION_LOCK_KEY = 0x61_74_61_6c_61_79_61n;

/**
 * Brings the database up to `migrations.length`, one transaction per step: lock, read the applied
 * version, apply the next step and record it, commit. A relay that finds the database newer than
 * it knows refuses to start rather than guess at the schema.
 */
export async function migratePostgres(
  pool: Pool,
  logger: Logger,
  migrations: readonly PostgresMigration[] = POSTGRES_MIGRATIONS,
): Promise<{ from: number; to: number }> {
  const client = await pool.connect();
  let failure: unknown;
  try {
    let from: number | undefined;
    for (;;) {
      const step = await applyNext(client, migrations);
      from ??= step.before;
      if (step.applied === undefined) return { from, to: step.before };
      logger.info({ version: step.applied, migration: migrations[step.applied - 1]?.name }, 'relay store migrated');
    }
  } catch (err) {
    failure = err;
    throw err;
  } finally {
    // A connection that failed mid-transaction is discarded rather than reused.
    client.release(failure !== undefined);
  }
}

async function applyNext(client: PoolClient, migrations: readonly PostgresMigration[]): Promise<{ before: number; applied?: number }> {
  let version = 0;
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY.toString()]);
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version    integer PRIMARY KEY,
      name       text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
    const result = await client.query<{ version: number | null }>('SELECT max(version) AS version FROM schema_migrations');
    const before = result.rows[0]?.version ?? 0;
    if (before > migrations.length) throw schemaTooNew(before, migrations.length);
    const step = migrations[before];
    if (step === undefined) {
      await client.query('COMMIT');
      return { before };
    }
    version = before + 1;
    await client.query(step.sql);
    await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [version, step.name]);
    await client.query('COMMIT');
    return { before, applied: version };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    if (isStoreError(err, STORE_SCHEMA_TOO_NEW)) throw err;
    throw migrationFailed(version, err);
  }
}
