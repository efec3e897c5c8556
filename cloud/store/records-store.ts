/**
 * The records store: gateways, nonces, records and integrity alarms over the relay's one SQL
 * executor (sql-executor.ts). It is the one writer of `records`: ingest inserts them, and
 * anchoring's claim marks them through markAnchorBatch, in anchoring's own transaction.
 * test/unit/records-writer.test.ts holds every other module to that.
 */
import type { Logger } from 'pino';
import { recordQuerySql, toPage } from './cursor.ts';
import { gatewayExists, invalidQuery, unknownGateway, unknownOrg } from './errors.ts';
import { gatewayPage, mergesChannels } from './gateway-page.ts';
import { DEFAULT_ORG } from './migrations-orgs.ts';
import { ingestBody } from './records-ingest.ts';
import { POSTGRES_RECORDS_SQL, SQLITE_RECORDS_SQL } from './records-sql.ts';
import type { GatewayDbRow, IntegrityAlarmRow, RecordRow } from './rows.ts';
import { decodeGateway, decodeIntegrityAlarm, decodeRecord, NONCE_PRUNE_INTERVAL_MS, sortedBatch } from './rows.ts';
import type { CopyFrom, Query, QueryMany, SqlExecutor } from './sql-executor.ts';
import type { GatewayRow, IngestInput, IngestOutcome, IntegrityAlarm, ReadingsQuery, RelayRecord, RelayStore } from './types.ts';

const placeholder = (n: number): string => `$${n}`;

export class SqlRecordsStore implements RelayStore {
  private readonly log: Logger;
  private readonly sql: typeof SQLITE_RECORDS_SQL | typeof POSTGRES_RECORDS_SQL;
  private readonly ingestBody: ReturnType<typeof ingestBody>;
  private lastPrune = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly db: SqlExecutor,
    logger: Logger,
  ) {
    this.log = logger.child({ component: 'store', backend: db.dialect });
    this.sql = db.dialect === 'postgres' ? POSTGRES_RECORDS_SQL : SQLITE_RECORDS_SQL;
    this.ingestBody = ingestBody(db.dialect);
  }

  /** The database's start: only its owner (the composition root, database.ts) calls it. */
  start(): Promise<void> {
    return this.db.start();
  }

  /** The database's stop: only its owner calls it. */
  stop(): Promise<void> {
    return this.db.stop();
  }

  async addGateway(id: string, secretCiphertext: string, now: number, orgId = DEFAULT_ORG): Promise<void> {
    if ((await this.db.query(this.sql.insertGateway, [id, secretCiphertext, now, orgId])).count > 0) return;
    if ((await this.db.query(this.sql.hasOrg, [orgId])).rows.length === 0) throw unknownOrg(orgId);
    throw gatewayExists(id);
  }

  async getGateway(id: string): Promise<GatewayRow | undefined> {
    const row = (await this.db.query<GatewayDbRow>(this.sql.getGateway, [id])).rows[0];
    return row === undefined ? undefined : decodeGateway(row);
  }

  async listGateways(org?: string): Promise<GatewayRow[]> {
    const result =
      org === undefined ? await this.db.query<GatewayDbRow>(this.sql.listGateways, []) : await this.db.query<GatewayDbRow>(this.sql.listOrgGateways, [org]);
    return result.rows.map(decodeGateway);
  }

  async claimNonce(gateway: string, nonce: string, expiresAt: number, now: number): Promise<boolean> {
    if (now - this.lastPrune >= NONCE_PRUNE_INTERVAL_MS) {
      await this.db.query(this.sql.pruneNonces, [now]);
      this.lastPrune = now;
    }
    const params = [gateway, nonce, expiresAt, now];
    // On SQLite a claim outside a transaction would be a commit (a WAL sync) of its own per
    // request: grouped, the claims of concurrent requests share one (sql-sqlite-group.ts).
    const claimed =
      this.db.dialect === 'sqlite'
        ? await this.db.groupedTransaction('claim nonce', (q) => q(this.sql.claimNonce, params))
        : await this.db.query(this.sql.claimNonce, params);
    return claimed.count === 1;
  }

  /**
   * All or nothing, in one transaction (records-ingest.ts); on SQLite the transactions of
   * concurrent requests share a commit (group commit, sql-sqlite-group.ts), each batch still in its
   * own savepoint with its own conflict check and answered only after the commit.
   */
  async ingest(input: IngestInput): Promise<IngestOutcome> {
    const batch = sortedBatch(input);
    // Gateways are never deleted, so the check may precede the transaction.
    if ((await this.db.query(this.sql.hasGateway, [input.gateway])).rows.length === 0) throw unknownGateway(input.gateway);
    const { outcome, conflicts } = await this.db.groupedTransaction('ingest', (q, many, copy) => this.ingestBody(q, many, copy, input, batch));
    if (!outcome.ok)
      this.log.warn({ gateway: input.gateway, conflicts: conflicts.length, firstSeq: conflicts[0]?.seq }, 'integrity alarm: seq stored with other content');
    return outcome;
  }

  /**
   * The same ingest body in the caller's transaction (provider sources, sources-store.ts): the
   * source's message ids, its seqs and its cursor commit with the records or not at all. The
   * caller has checked the gateway and holds its row (it assigns the seqs).
   */
  async ingestWithin(q: Query, many: QueryMany, copy: CopyFrom, input: IngestInput): Promise<IngestOutcome> {
    return (await this.ingestBody(q, many, copy, input, sortedBatch(input))).outcome;
  }

  async queryRecords(query: ReadingsQuery): Promise<{ items: RelayRecord[]; next: string | null }> {
    const { sql, params } = recordQuerySql(query, placeholder, this.db.dialect);
    // SQLite's records v2 has no (gateway, time) index: such a page is merged from the gateway's series.
    const rows = this.db.dialect === 'sqlite' && mergesChannels(query) ? await gatewayPage(this.db, query) : (await this.db.query<RecordRow>(sql, params)).rows;
    return toPage(rows.map(decodeRecord), query.limit);
  }

  async integrityAlarms(limit: number, org?: string): Promise<IntegrityAlarm[]> {
    if (!Number.isSafeInteger(limit) || limit < 1) throw invalidQuery('limit must be a positive integer');
    const result =
      org === undefined
        ? await this.db.query<IntegrityAlarmRow>(this.sql.listIntegrityAlarms, [limit])
        : await this.db.query<IntegrityAlarmRow>(this.sql.listOrgIntegrityAlarms, [limit, org]);
    return result.rows.map(decodeIntegrityAlarm);
  }

  /**
   * Anchoring's claim, run with the caller's transaction `q` (anchor-store.ts claimBatch): every
   * record not yet in a batch and received in [periodStart, periodEnd) (periodStart null: no lower
   * bound) becomes a leaf of `batchId`. Returns how many.
   */
  async markAnchorBatch(q: Query, batchId: number, periodEnd: number, periodStart: number | null): Promise<number> {
    if (this.db.dialect === 'postgres') for (const sql of POSTGRES_RECORDS_SQL.claimByIndex) await q(sql, []);
    const claimed =
      periodStart === null ? await q(this.sql.claimBefore, [batchId, periodEnd]) : await q(this.sql.claimBetween, [batchId, periodEnd, periodStart]);
    if (this.db.dialect === 'postgres') for (const sql of POSTGRES_RECORDS_SQL.claimPlanned) await q(sql, []);
    // Unclaimed records are found through unanchored_spans (records v2): the claimed spans go
    // (PostgreSQL's claim deletes them in its own statement, records-sql.ts).
    if (this.db.dialect === 'sqlite') {
      if (periodStart === null) await q(SQLITE_RECORDS_SQL.claimedBefore, [periodEnd]);
      else await q(SQLITE_RECORDS_SQL.claimedBetween, [periodEnd, periodStart]);
    }
    return claimed.count;
  }
}
