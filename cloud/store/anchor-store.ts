/**
 * AnchorStore over the relay's SQL executor (sql-executor.ts): the same statements and
 * transactions on SQLite and PostgreSQL; the dialect only decides which locks are taken. On
 * SQLite every transaction starts with BEGIN IMMEDIATE, which serializes writers on the file; on
 * PostgreSQL a claim takes an advisory lock and recordSigned locks the batch's and the sender's
 * rows. Records are only read here: the claim marks them through the records store, the one
 * writer of `records` (records-store.ts).
 */

import { ANCHOR_CLAIM_LOCK_KEY, listBatchesSql, ANCHOR_SQL as SQL } from './anchor-sql.ts';
import { type RecordSignedInput, recordReplacement, recordSigned } from './anchor-txs.ts';
import type {
  AnchorBatch,
  AnchorErrorInput,
  AnchorErrorRow,
  AnchorStats,
  AnchorStore,
  AnchorTx,
  BatchStatus,
  MinedInput,
  RecordAnchorInfo,
  SignedTx,
} from './anchor-types.ts';
import { BATCH_STATUSES } from './anchor-types.ts';
import { anchorRefused, invalidQuery } from './errors.ts';
import type { SqlRecordsStore } from './records-store.ts';
import { decodeRecord, type RecordRow } from './rows.ts';
import { forUpdate, type SqlExecutor } from './sql-executor.ts';
import type { RelayRecord } from './types.ts';

/** Leaves per batchRecords chunk unless asked otherwise; at most MAX_CHUNK. */
const DEFAULT_CHUNK = 10_000;
const MAX_CHUNK = 100_000;

/** What anchoring needs of the records store: its claim, run in anchoring's transaction. */
export type AnchorClaims = Pick<SqlRecordsStore, 'markAnchorBatch'>;

export class SqlAnchorStore implements AnchorStore {
  constructor(
    private readonly db: SqlExecutor,
    private readonly records: AnchorClaims,
  ) {}

  /** The database's start: only its owner (the composition root, database.ts) calls it. */
  start(): Promise<void> {
    return this.db.start();
  }

  /** The database's stop: only its owner calls it. */
  stop(): Promise<void> {
    return this.db.stop();
  }

  claimBatch(input: {
    readonly periodStart: number | null;
    readonly periodEnd: number;
    readonly now: number;
  }): Promise<{ id: number; size: number } | undefined> {
    return this.db.transaction('claimBatch', async (q) => {
      if (this.db.dialect === 'postgres') await q(SQL.claimLock, [ANCHOR_CLAIM_LOCK_KEY.toString()]);
      const { id } = (await q<{ id: number }>(SQL.insertBatch, [input.periodStart, input.periodEnd, input.now])).rows[0] as { id: number };
      const size = await this.records.markAnchorBatch(q, id, input.periodEnd, input.periodStart);
      if (size === 0) {
        await q(SQL.deleteBatch, [id]);
        return undefined;
      }
      await q(SQL.setSize, [id, size]);
      return { id, size };
    });
  }

  async *batchRecords(batchId: number, chunk = DEFAULT_CHUNK): AsyncIterable<RelayRecord[]> {
    if (!Number.isSafeInteger(chunk) || chunk < 1 || chunk > MAX_CHUNK) throw invalidQuery(`chunk must be an integer in 1..${MAX_CHUNK}`);
    let last: RecordRow | undefined;
    for (;;) {
      const { rows } =
        last === undefined
          ? await this.db.query<RecordRow>(SQL.leavesFirst, [batchId, chunk])
          : await this.db.query<RecordRow>(SQL.leavesAfter, [batchId, last.gateway, last.seq, chunk]);
      if (rows.length > 0) yield rows.map(decodeRecord);
      if (rows.length < chunk) return;
      last = rows[rows.length - 1];
    }
  }

  async setBatchRoot(batchId: number, root: string, now: number): Promise<boolean> {
    return (await this.db.query(SQL.setRoot, [batchId, root, now])).count === 1;
  }

  async getBatch(id: number): Promise<AnchorBatch | undefined> {
    return (await this.db.query<AnchorBatch>(SQL.batch, [id])).rows[0];
  }

  async listBatches(query: { readonly limit: number; readonly before?: number; readonly status?: readonly BatchStatus[] }): Promise<AnchorBatch[]> {
    const sql = listBatchesSql(query.status, query.before !== undefined);
    const params = [...(query.status ?? []), ...(query.before === undefined ? [] : [query.before]), query.limit];
    return (await this.db.query<AnchorBatch>(sql, params)).rows;
  }

  async lastPeriodEnd(): Promise<number | undefined> {
    return (await this.db.query<{ periodEnd: number | null }>(SQL.lastPeriodEnd, [])).rows[0]?.periodEnd ?? undefined;
  }

  async unclaimedCount(before: number): Promise<number> {
    return Number((await this.db.query<{ n: number }>(SQL.unclaimedSpans, [before])).rows[0]?.n ?? 0);
  }

  recordSigned(input: RecordSignedInput): Promise<AnchorTx | undefined> {
    return recordSigned(this.db, input);
  }

  recordReplacement(oldTxId: number, signed: SignedTx, now: number): Promise<AnchorTx> {
    return recordReplacement(this.db, oldTxId, signed, now);
  }

  async markBroadcast(txId: number, now: number): Promise<void> {
    await this.db.query(SQL.txBroadcast, [txId, now]);
  }

  markMined(txId: number, mined: MinedInput, now: number): Promise<void> {
    // gasUsed × effectiveGasPrice exceeds 2^53 wei on any real chain.
    const cost = (BigInt(mined.gasUsed) * BigInt(mined.effectiveGasPrice)).toString();
    return this.db.transaction('markMined', async (q) => {
      const tx = (await q<{ batchId: number; hash: string }>(forUpdate(SQL.tx, this.db.dialect), [txId])).rows[0];
      if (tx === undefined) throw anchorRefused('markMined', 'unknown transaction', { txId });
      await q(SQL.txMined, [txId, mined.blockNumber, mined.blockHash, mined.gasUsed, mined.effectiveGasPrice, mined.receipt, mined.block]);
      await q(SQL.siblingsReplaced, [tx.batchId, txId]);
      await q(SQL.batchMined, [tx.batchId, tx.hash, mined.blockNumber, mined.blockHash, mined.blockTime, mined.gasUsed, cost, now]);
    });
  }

  async markConfirmed(batchId: number, now: number): Promise<void> {
    await this.db.query(SQL.batchConfirmed, [batchId, now]);
  }

  markReorged(batchId: number, txId: number, now: number): Promise<void> {
    return this.db.transaction('markReorged', async (q) => {
      if ((await q(SQL.batchReorged, [batchId, now])).count === 0) return;
      await q(SQL.txReorged, [txId, batchId]);
    });
  }

  abandonTxs(batchId: number, now: number): Promise<void> {
    return this.db.transaction('abandonTxs', async (q) => {
      await q(SQL.txsAbandoned, [batchId]);
      await q(SQL.batchPending, [batchId, now]);
    });
  }

  async liveTxs(): Promise<AnchorTx[]> {
    return (await this.db.query<AnchorTx>(SQL.liveTxs, [])).rows;
  }

  async txsOfBatch(batchId: number): Promise<AnchorTx[]> {
    return (await this.db.query<AnchorTx>(SQL.txsOfBatch, [batchId])).rows;
  }

  async txEvidence(txId: number): Promise<{ receipt: string; block: string } | undefined> {
    return (await this.db.query<{ receipt: string; block: string }>(SQL.txEvidence, [txId])).rows[0];
  }

  logError(input: AnchorErrorInput): Promise<void> {
    return this.db.transaction('logError', async (q) => {
      if (this.db.dialect === 'postgres') await q(SQL.errorsLock, []);
      const newest = (await q<{ id: number; code: string; batchId: number | null }>(SQL.newestError, [])).rows[0];
      if (newest !== undefined && newest.code === input.code && newest.batchId === input.batchId) {
        await q(SQL.foldError, [newest.id, input.at, input.message, input.txId]);
      } else {
        await q(SQL.insertError, [input.at, input.batchId, input.txId, input.code, input.message]);
      }
    });
  }

  async errors(limit: number): Promise<AnchorErrorRow[]> {
    return (await this.db.query<AnchorErrorRow>(SQL.errors, [limit])).rows;
  }

  async stats(): Promise<AnchorStats> {
    const batches = Object.fromEntries(BATCH_STATUSES.map((status) => [status, 0])) as Record<BatchStatus, number>;
    let gasUsed = 0;
    // COUNT and SUM come back as strings from PostgreSQL (bigint, numeric).
    for (const row of (await this.db.query<{ status: BatchStatus; n: number | string; gas: number | string }>(SQL.batchTotals, [])).rows) {
      batches[row.status] = Number(row.n);
      gasUsed += Number(row.gas);
    }
    const last = (await this.db.query<{ gasUsed: number | string }>(SQL.lastGasUsed, [])).rows[0];
    const errors = (await this.db.query<{ n: number | string }>(SQL.errorTotal, [])).rows[0];
    return { batches, gasUsed, lastGasUsed: last === undefined ? null : Number(last.gasUsed), errors: Number(errors?.n ?? 0) };
  }

  async recordAnchor(gateway: string, seq: number): Promise<RecordAnchorInfo | undefined> {
    const row = (await this.db.query<RecordRow & { anchor_batch: number | null }>(SQL.recordWithBatch, [gateway, seq])).rows[0];
    if (row === undefined) return undefined;
    const record = decodeRecord(row);
    if (row.anchor_batch === null) return { record, batchId: null, index: null };
    // A batch's membership never changes once claimed, so the count needs no snapshot shared with the read above.
    const n = (await this.db.query<{ n: number }>(SQL.leafIndex, [row.anchor_batch, gateway, seq])).rows[0]?.n ?? 0;
    return { record, batchId: row.anchor_batch, index: Number(n) };
  }

  async acquireLease(holder: string, now: number, ttlMs: number): Promise<boolean> {
    if (this.db.dialect === 'sqlite') {
      await this.db.query(SQL.takeLease, [holder, now + ttlMs]);
      return true;
    }
    return (await this.db.query(SQL.acquireLease, [holder, now + ttlMs, now])).rows.length === 1;
  }

  async releaseLease(holder: string): Promise<void> {
    await this.db.query(SQL.releaseLease, [holder]);
  }
}
