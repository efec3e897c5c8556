import pg from 'pg';
import type { Pool, PoolClient, QueryResultRow } from 'pg';
import type { Logger } from 'pino';
import type { GatewayRow, IngestInput, IngestOutcome, IntegrityAlarm, ReadingsQuery, RelayRecord, RelayStore } from './types.ts';
import { recordQuerySql, toPage } from './cursor.ts';
import { gatewayExists, invalidQuery, storeClosed, unavailable, unknownGateway } from './errors.ts';
import { inTransaction, openMigratedPool, type MigratedPool } from './pg-pool.ts';
import { GATEWAY_COLUMNS, NONCE_PRUNE_INTERVAL_MS, RECORD_COLUMNS, decodeGateway, encodeAlarm, decodeIntegrityAlarm, decodeRecord, offsetMs, sortedBatch } from './rows.ts';
import type { Conflict, GatewayDbRow, IngestRecord, IntegrityAlarmRow, RecordRow } from './rows.ts';

export interface PostgresStoreOptions {
  /** postgres://user:password@host:port/database (libpq URL; sslmode etc. as query parameters). */
  readonly url: string;
  readonly logger: Logger;
  /** Connections in the pool, 1..100; default 10. */
  readonly maxConnections?: number;
}

/**
 * Every statement but the record queries (cursor.ts builds those per filter shape). A batch is one
 * INSERT of unnest()ed column arrays, whatever its size: no statement per record, and one plan.
 */
export const POSTGRES_SQL = {
  insertGateway: 'INSERT INTO gateways (id, secret_ciphertext, created_at) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING',
  getGateway: `SELECT ${GATEWAY_COLUMNS} FROM gateways WHERE id = $1`,
  listGateways: `SELECT ${GATEWAY_COLUMNS} FROM gateways ORDER BY id`,
  hasGateway: 'SELECT 1 FROM gateways WHERE id = $1',
  insertRecords: `INSERT INTO records (${RECORD_COLUMNS})
    SELECT $1, r.seq, r.kind, r.device, r.channel, r.value, r.unit, r.quality, r.exception, r.ts, r.ts_corrected,
           r.mono, r.boot_id, r.priority, r.flags, r.alarm, $2, r.hash
    FROM unnest($3::bigint[], $4::text[], $5::text[], $6::text[], $7::float8[], $8::text[], $9::text[], $10::smallint[],
                $11::bigint[], $12::bigint[], $13::bigint[], $14::text[], $15::smallint[], $16::integer[], $17::text[], $18::text[])
      AS r(seq, kind, device, channel, value, unit, quality, exception, ts, ts_corrected, mono, boot_id, priority, flags, alarm, hash)
    ON CONFLICT (gateway, seq) DO NOTHING`,
  // LIMIT 1 keeps the lateral subquery from being pulled up into a join, so each offered key is one
  // primary-key probe; as a plain join the planner hashes the gateway's whole history for big batches.
  conflicts: `SELECT o.seq, r.hash AS "existingHash", o.hash AS "offeredHash"
    FROM unnest($2::bigint[], $3::text[]) AS o(seq, hash)
    JOIN LATERAL (SELECT hash FROM records WHERE gateway = $1 AND seq = o.seq LIMIT 1) r ON r.hash <> o.hash
    ORDER BY o.seq`,
  // GREATEST ignores NULLs: the first batch sets the values, an empty batch keeps highest_seq.
  updateGateway: `UPDATE gateways SET last_seen_at = GREATEST(last_seen_at, $2), highest_seq = GREATEST(highest_seq, $3),
      clock_offset_ms = $4, record_count = record_count + $5
    WHERE id = $1 RETURNING highest_seq`,
  // Claims a new nonce, or takes over an expired one that was not pruned yet; a concurrent claim of
  // the same nonce waits for this one and then finds it unexpired.
  claimNonce: `INSERT INTO nonces (gateway, nonce, expires_at) VALUES ($1, $2, $3)
    ON CONFLICT (gateway, nonce) DO UPDATE SET expires_at = EXCLUDED.expires_at WHERE nonces.expires_at <= $4`,
  pruneNonces: 'DELETE FROM nonces WHERE expires_at <= $1',
  insertIntegrityAlarms: `INSERT INTO integrity_alarms (gateway, seq, existing_hash, offered_hash, at)
    SELECT $1, c.seq, c.existing_hash, c.offered_hash, $5 FROM unnest($2::bigint[], $3::text[], $4::text[]) AS c(seq, existing_hash, offered_hash)`,
  listIntegrityAlarms: 'SELECT id, gateway, seq, existing_hash, offered_hash, at FROM integrity_alarms ORDER BY id DESC LIMIT $1',
} as const;

/** Parameters of insertRecords: the gateway, the receive time, then one array per column. */
function insertRecordsParams(input: IngestInput, batch: readonly IngestRecord[]): unknown[] {
  const n = batch.length;
  const columns = Array.from({ length: 16 }, () => new Array<unknown>(n));
  for (let i = 0; i < n; i++) {
    const r = batch[i] as IngestRecord;
    const values = [r.seq, r.kind, r.device, r.channel, r.value, r.unit, r.quality, r.exception, r.ts, r.tsCorrected, r.mono, r.bootId, r.priority, r.flags, encodeAlarm(r.alarm), r.hash];
    for (let c = 0; c < 16; c++) (columns[c] as unknown[])[i] = values[c];
  }
  return [input.gateway, input.now, ...columns];
}

/**
 * The shared relay store: several relay instances on one database, each with its own Pool. Every
 * ingest is one READ COMMITTED transaction that is correct under concurrent ingests of the same
 * gateway (see ingest()), nonces are claimed by one atomic upsert, and migrations are serialized by
 * an advisory lock.
 */
export class PostgresStore implements RelayStore {
  private readonly options: PostgresStoreOptions;
  private readonly log: Logger;
  private state: 'idle' | 'running' | 'stopped' = 'idle';
  private opened: MigratedPool | undefined;
  private lastPrune = Number.NEGATIVE_INFINITY;

  constructor(options: PostgresStoreOptions) {
    this.options = options;
    this.log = options.logger.child({ component: 'store', backend: 'postgres' });
  }

  async start(): Promise<void> {
    if (this.state === 'running') return;
    if (this.state === 'stopped') throw storeClosed('start (create a new store)');
    const opened = await openMigratedPool({ url: this.options.url, max: this.options.maxConnections ?? 10, applicationName: 'atalaya-relay', log: this.log });
    this.opened = opened;
    this.state = 'running';
    this.log.info({ from: opened.from, to: opened.to }, 'relay store started');
  }

  async stop(): Promise<void> {
    if (this.state === 'stopped') return;
    this.state = 'stopped';
    const opened = this.opened;
    this.opened = undefined;
    await opened?.close();
  }

  async addGateway(id: string, secretCiphertext: string, now: number): Promise<void> {
    const result = await this.query('addGateway', POSTGRES_SQL.insertGateway, [id, secretCiphertext, now]);
    if (result.rowCount === 0) throw gatewayExists(id);
  }

  async getGateway(id: string): Promise<GatewayRow | undefined> {
    const row = (await this.query<GatewayDbRow>('getGateway', POSTGRES_SQL.getGateway, [id])).rows[0];
    return row === undefined ? undefined : decodeGateway(row);
  }

  async listGateways(): Promise<GatewayRow[]> {
    return (await this.query<GatewayDbRow>('listGateways', POSTGRES_SQL.listGateways, [])).rows.map(decodeGateway);
  }

  async claimNonce(gateway: string, nonce: string, expiresAt: number, now: number): Promise<boolean> {
    if (now - this.lastPrune >= NONCE_PRUNE_INTERVAL_MS) {
      this.lastPrune = now;
      await this.query('claimNonce', POSTGRES_SQL.pruneNonces, [now]);
    }
    return (await this.query('claimNonce', POSTGRES_SQL.claimNonce, [gateway, nonce, expiresAt, now])).rowCount === 1;
  }

  /**
   * One multi-row INSERT … ON CONFLICT DO NOTHING for the whole batch and, when it skipped keys,
   * one comparison of the offered hashes with the stored ones. Under READ COMMITTED this is
   * race-free across relays: an insert that meets a key another transaction has inserted but not committed waits for
   * that transaction (docs/storage.md#upserts-and-conflicts); if it
   * commits the key is skipped, and the following SELECT, which takes a new snapshot, sees its row
   * and hash, so two relays inserting the same new key with different content end with one stored
   * and the other reporting a conflict. Keys are inserted in ascending seq and the gateway row is
   * updated last, so two relays' overlapping batches wait on each other in one order and never
   * deadlock. The isolation level is explicit: under REPEATABLE READ the SELECT could not see the
   * other relay's row.
   */
  async ingest(input: IngestInput): Promise<IngestOutcome> {
    const batch = sortedBatch(input);
    // Gateways are never deleted, so the check may precede the transaction.
    if ((await this.query('ingest', POSTGRES_SQL.hasGateway, [input.gateway])).rowCount === 0) throw unknownGateway(input.gateway);
    return this.transaction('ingest', async (client) => {
      await client.query('SAVEPOINT batch');
      const inserted = await client.query({ name: 'atalaya_ingest', text: POSTGRES_SQL.insertRecords, values: insertRecordsParams(input, batch) });
      const stored = inserted.rowCount ?? 0;
      // Rows this transaction inserted carry the offered hash, so comparing every offered hash with
      // the stored one finds exactly the keys held with other content.
      const conflicts =
        stored === batch.length
          ? []
          : (
              await client.query<Conflict>({
                name: 'atalaya_conflicts',
                text: POSTGRES_SQL.conflicts,
                values: [input.gateway, batch.map((r) => r.seq), batch.map((r) => r.hash)],
              })
            ).rows;
      if (conflicts.length > 0) {
        await client.query('ROLLBACK TO SAVEPOINT batch');
        await client.query(POSTGRES_SQL.insertIntegrityAlarms, [
          input.gateway,
          conflicts.map((c) => c.seq),
          conflicts.map((c) => c.existingHash),
          conflicts.map((c) => c.offeredHash),
          input.now,
        ]);
        this.log.warn({ gateway: input.gateway, conflicts: conflicts.length, firstSeq: conflicts[0]?.seq }, 'integrity alarm: seq stored with other content');
        return { ok: false, conflicts: conflicts.map((c) => c.seq) };
      }
      const maxSeq = batch[batch.length - 1]?.seq ?? null;
      const updated = await client.query<{ highest_seq: number | null }>({
        name: 'atalaya_update_gateway',
        text: POSTGRES_SQL.updateGateway,
        values: [input.gateway, input.now, maxSeq, offsetMs(input), stored],
      });
      return { ok: true, stored, duplicates: batch.length - stored, highestSeq: updated.rows[0]?.highest_seq ?? 0 };
    });
  }

  async queryRecords(query: ReadingsQuery): Promise<{ items: RelayRecord[]; next: string | null }> {
    const { shape, sql, params } = recordQuerySql(query, (n) => `$${n}`);
    const result = await this.query<RecordRow>('queryRecords', { name: `atalaya_records_${shape}`, text: sql, values: params.slice() });
    return toPage(result.rows.map(decodeRecord), query.limit);
  }

  async integrityAlarms(limit: number): Promise<IntegrityAlarm[]> {
    if (!Number.isSafeInteger(limit) || limit < 1) throw invalidQuery('limit must be a positive integer');
    return (await this.query<IntegrityAlarmRow>('integrityAlarms', POSTGRES_SQL.listIntegrityAlarms, [limit])).rows.map(decodeIntegrityAlarm);
  }

  private running(operation: string): Pool {
    if (this.state !== 'running' || this.opened === undefined) throw storeClosed(operation);
    return this.opened.pool;
  }

  private async query<R extends QueryResultRow = QueryResultRow>(
    operation: string,
    text: string | { name: string; text: string; values: unknown[] },
    values?: unknown[],
  ): Promise<pg.QueryResult<R>> {
    const pool = this.running(operation);
    try {
      return typeof text === 'string' ? await pool.query<R>(text, values) : await pool.query<R>(text);
    } catch (err) {
      throw unavailable(operation, err);
    }
  }

  private transaction<T>(operation: string, body: (client: PoolClient) => Promise<T>): Promise<T> {
    return inTransaction(this.running(operation), operation, body);
  }

}
