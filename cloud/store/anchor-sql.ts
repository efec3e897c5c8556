/**
 * The anchoring store's SQL, one text for both backends (see sql-executor.ts). It only reads
 * records: the claim that marks them is the records store's (records-sql.ts). The statements on
 * records are checked with EXPLAIN QUERY PLAN in test/unit/anchor-store-plan.test.ts: the
 * unclaimed count reads unanchored_spans, a batch's leaves and a leaf's index walk
 * records_anchor_batch.
 */
import type { BatchStatus } from './anchor-types.ts';
import { RECORD_COLUMNS } from './rows.ts';

/**
 * Key of the transaction-level advisory lock a claim takes on PostgreSQL
 * (docs/storage.md#postgresql-advisory-locks). 'anchclm' in ASCII.
 * Claims run one after the other, so the second one's UPDATE starts after the first committed and
 * sees its records as taken; nothing else waits on it.
 */
export const ANCHOR_CLAIM_LOCK_KEY = 0x61_6e_63_68_63_6c_6dn;

/** The lease's row: one leader among the relays sharing a database. */
const LEASE = "'anchor'";

const BATCH_COLUMNS = `id, period_start AS "periodStart", period_end AS "periodEnd", status, size, root, created_at AS "createdAt",
  updated_at AS "updatedAt", tx_hash AS "txHash", block_number AS "blockNumber", block_hash AS "blockHash", block_time AS "blockTime",
  gas_used AS "gasUsed", cost_wei AS "costWei", confirmed_at AS "confirmedAt", reorgs`;

const TX_COLUMNS = `id, batch_id AS "batchId", chain_id AS "chainId", sender, nonce, hash, raw, max_fee_per_gas AS "maxFeePerGas",
  max_priority_fee_per_gas AS "maxPriorityFeePerGas", status, replaces, created_at AS "createdAt", broadcast_at AS "broadcastAt",
  block_number AS "blockNumber", block_hash AS "blockHash", gas_used AS "gasUsed", effective_gas_price AS "effectiveGasPrice"`;

const LIVE = "('signed', 'broadcast')";

export const ANCHOR_SQL = {
  claimLock: 'SELECT pg_advisory_xact_lock($1)',
  insertBatch: `INSERT INTO anchor_batches (period_start, period_end, status, size, created_at, updated_at)
    VALUES ($1, $2, 'building', 0, $3, $3) RETURNING id`,
  setSize: 'UPDATE anchor_batches SET size = $2 WHERE id = $1',
  deleteBatch: 'DELETE FROM anchor_batches WHERE id = $1',
  // Records v2: the unclaimed records are counted by their spans (records-sql.ts, the claims).
  unclaimedSpans: 'SELECT coalesce(sum(records), 0) AS n FROM unanchored_spans WHERE received_at < $1',

  leavesFirst: `SELECT ${RECORD_COLUMNS} FROM records WHERE anchor_batch = $1 ORDER BY gateway, seq LIMIT $2`,
  leavesAfter: `SELECT ${RECORD_COLUMNS} FROM records WHERE anchor_batch = $1 AND (gateway, seq) > ($2, $3) ORDER BY gateway, seq LIMIT $4`,
  recordWithBatch: `SELECT ${RECORD_COLUMNS}, anchor_batch FROM records WHERE gateway = $1 AND seq = $2`,
  leafIndex: 'SELECT count(*) AS n FROM records WHERE anchor_batch = $1 AND (gateway, seq) < ($2, $3)',

  setRoot: "UPDATE anchor_batches SET root = $2, status = 'pending', updated_at = $3 WHERE id = $1 AND status = 'building'",
  batch: `SELECT ${BATCH_COLUMNS} FROM anchor_batches WHERE id = $1`,
  batchStatus: 'SELECT status FROM anchor_batches WHERE id = $1',
  lastPeriodEnd: 'SELECT max(period_end) AS "periodEnd" FROM anchor_batches',

  // max(stored, chain) in the statement that locks the sender's row (created on first use).
  allocateNonce: `INSERT INTO anchor_nonces (chain_id, sender, next_nonce) VALUES ($1, $2, $3)
    ON CONFLICT (chain_id, sender) DO UPDATE SET next_nonce = CASE WHEN anchor_nonces.next_nonce > excluded.next_nonce
      THEN anchor_nonces.next_nonce ELSE excluded.next_nonce END
    RETURNING next_nonce AS "nonce"`,
  setNextNonce: 'UPDATE anchor_nonces SET next_nonce = $3 WHERE chain_id = $1 AND sender = $2',
  insertTx: `INSERT INTO anchor_txs (batch_id, chain_id, sender, nonce, hash, raw, max_fee_per_gas, max_priority_fee_per_gas, status, replaces, created_at)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'signed', $9, $10) RETURNING ${TX_COLUMNS}`,
  batchSent: "UPDATE anchor_batches SET status = 'sent', tx_hash = $2, updated_at = $3 WHERE id = $1",
  tx: `SELECT ${TX_COLUMNS} FROM anchor_txs WHERE id = $1`,
  txReplaced: "UPDATE anchor_txs SET status = 'replaced' WHERE id = $1",
  followTxHash: "UPDATE anchor_batches SET tx_hash = $2, updated_at = $3 WHERE id = $1 AND status = 'sent'",
  txBroadcast: `UPDATE anchor_txs SET status = 'broadcast', broadcast_at = COALESCE(broadcast_at, $2) WHERE id = $1 AND status IN ${LIVE}`,
  txMined: `UPDATE anchor_txs SET status = 'mined', block_number = $2, block_hash = $3, gas_used = $4, effective_gas_price = $5, receipt = $6, block = $7
    WHERE id = $1`,
  siblingsReplaced: `UPDATE anchor_txs SET status = 'replaced' WHERE batch_id = $1 AND id <> $2 AND status IN ${LIVE}`,
  batchMined: `UPDATE anchor_batches SET status = 'mined', tx_hash = $2, block_number = $3, block_hash = $4, block_time = $5, gas_used = $6,
      cost_wei = $7, updated_at = $8
    WHERE id = $1`,
  batchConfirmed: "UPDATE anchor_batches SET status = 'confirmed', confirmed_at = $2, updated_at = $2 WHERE id = $1 AND status = 'mined'",
  // Conditional on the mined state, so a repeated report counts one reorg. The receipt and block
  // are cleared with the block they described.
  batchReorged: `UPDATE anchor_batches SET status = 'sent', block_number = NULL, block_hash = NULL, block_time = NULL, gas_used = NULL,
      cost_wei = NULL, confirmed_at = NULL, reorgs = reorgs + 1, updated_at = $2
    WHERE id = $1 AND status IN ('mined', 'confirmed')`,
  txReorged: `UPDATE anchor_txs SET status = 'broadcast', block_number = NULL, block_hash = NULL, gas_used = NULL, effective_gas_price = NULL,
      receipt = NULL, block = NULL
    WHERE id = $1 AND batch_id = $2 AND status = 'mined'`,
  txsAbandoned: `UPDATE anchor_txs SET status = 'abandoned' WHERE batch_id = $1 AND status IN ${LIVE}`,
  batchPending: "UPDATE anchor_batches SET status = 'pending', updated_at = $2 WHERE id = $1 AND status = 'sent'",
  liveTxs: `SELECT ${TX_COLUMNS} FROM anchor_txs WHERE status IN ${LIVE} ORDER BY nonce, id`,
  txsOfBatch: `SELECT ${TX_COLUMNS} FROM anchor_txs WHERE batch_id = $1 ORDER BY id`,
  txEvidence: 'SELECT receipt, block FROM anchor_txs WHERE id = $1 AND receipt IS NOT NULL AND block IS NOT NULL',

  // PostgreSQL: logErrors one at a time, so two cannot both miss the row the other folds into.
  errorsLock: 'LOCK TABLE anchor_errors IN SHARE ROW EXCLUSIVE MODE',
  newestError: 'SELECT id, code, batch_id AS "batchId" FROM anchor_errors ORDER BY id DESC LIMIT 1',
  foldError: 'UPDATE anchor_errors SET count = count + 1, last_at = $2, message = $3, tx_id = $4 WHERE id = $1',
  insertError: 'INSERT INTO anchor_errors (at, last_at, batch_id, tx_id, code, message) VALUES ($1, $1, $2, $3, $4, $5)',
  batchTotals: 'SELECT status, COUNT(*) AS n, COALESCE(SUM(gas_used), 0) AS gas FROM anchor_batches GROUP BY status',
  lastGasUsed: 'SELECT gas_used AS "gasUsed" FROM anchor_batches WHERE gas_used IS NOT NULL ORDER BY id DESC LIMIT 1',
  errorTotal: 'SELECT COALESCE(SUM(count), 0) AS n FROM anchor_errors',
  errors: `SELECT id, at, last_at AS "lastAt", count, batch_id AS "batchId", tx_id AS "txId", code, message
    FROM anchor_errors ORDER BY id DESC LIMIT $1`,

  // Taken when free, expired or already ours, atomically (a conflicting insert waits for the other).
  acquireLease: `INSERT INTO anchor_lease (name, holder, expires_at) VALUES (${LEASE}, $1, $2)
    ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
    WHERE anchor_lease.holder = excluded.holder OR anchor_lease.expires_at <= $3
    RETURNING holder`,
  // SQLite: one relay per file, and a relay restarted under a new holder name must not wait out its
  // predecessor's lease.
  takeLease: `INSERT INTO anchor_lease (name, holder, expires_at) VALUES (${LEASE}, $1, $2)
    ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at`,
  releaseLease: `DELETE FROM anchor_lease WHERE name = ${LEASE} AND holder = $1`,
} as const;

/** Newest first, optionally only some statuses and only ids below `before`; parameters from $1. */
export function listBatchesSql(statuses: readonly BatchStatus[] | undefined, before: boolean): string {
  let n = 1;
  const where: string[] = [];
  if (statuses !== undefined && statuses.length > 0) where.push(`status IN (${statuses.map(() => `$${n++}`).join(', ')})`);
  if (before) where.push(`id < $${n++}`);
  const filter = where.length > 0 ? ` WHERE ${where.join(' AND ')}` : '';
  return `SELECT ${BATCH_COLUMNS} FROM anchor_batches${filter} ORDER BY id DESC LIMIT $${n}`;
}
