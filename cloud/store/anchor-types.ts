/**
 * The anchoring queue on the relay's own database (cloud/anchor uses it), SQLite or PostgreSQL.
 *
 * Batches: every record belongs to at most one batch. A cut claims every record not yet in a
 * batch and received before the period's end (records.anchor_batch), in one transaction, so a
 * record committed late by a slow transaction lands in the next batch instead of being missed.
 * Leaves are ordered by (gateway, seq), which is stable: a record's index in its batch is the
 * number of the batch's records before it in that order.
 *
 * Transactions: the nonce is kept here per (chainId, sender), allocated in the transaction that
 * records the signed transaction, and the raw signed bytes are stored before anything is
 * broadcast (docs/anchoring.md#transactions). Several transactions of one batch share a nonce
 * when one replaced another; at most one of them can ever be mined.
 *
 * Times are ms since the epoch; wei amounts are decimal strings (they exceed 2^53).
 */
import type { RelayRecord } from './types.ts';

/**
 * building: records claimed, root not yet written (a crash here is resumed by rebuilding);
 * pending: root known, no live transaction; sent: a transaction is signed/broadcast;
 * mined: in a block, fewer confirmations than required; confirmed: enough confirmations.
 * A reorg sends a mined or confirmed batch back to sent (its transaction is rebroadcast).
 */
export const BATCH_STATUSES = ['building', 'pending', 'sent', 'mined', 'confirmed'] as const;
export type BatchStatus = (typeof BATCH_STATUSES)[number];

/**
 * signed: persisted, maybe not yet broadcast; broadcast: the node accepted it (or knew it);
 * mined: its receipt was recorded; replaced: another transaction with the same nonce superseded
 * it (or was mined); abandoned: its nonce was used by a transaction that is not ours.
 */
export const TX_STATUSES = ['signed', 'broadcast', 'mined', 'replaced', 'abandoned'] as const;
export type TxStatus = (typeof TX_STATUSES)[number];

export interface AnchorBatch {
  readonly id: number;
  /** Lower bound of received_at claimed (inclusive), null: everything before periodEnd. */
  readonly periodStart: number | null;
  /** Upper bound of received_at claimed (exclusive). */
  readonly periodEnd: number;
  readonly status: BatchStatus;
  /** Number of records (leaves). */
  readonly size: number;
  /** Merkle root, 64 lowercase hex digits; null while building. */
  readonly root: string | null;
  readonly createdAt: number;
  readonly updatedAt: number;
  /** The mined transaction (mined/confirmed), else the latest signed one, else null. */
  readonly txHash: string | null;
  readonly blockNumber: number | null;
  readonly blockHash: string | null;
  /** Block timestamp, ms. */
  readonly blockTime: number | null;
  readonly gasUsed: number | null;
  /** gasUsed × effectiveGasPrice, wei. */
  readonly costWei: string | null;
  readonly confirmedAt: number | null;
  /** How many times a reorg removed its anchor. */
  readonly reorgs: number;
}

export interface AnchorTx {
  readonly id: number;
  readonly batchId: number;
  readonly chainId: number;
  /** Sender address, 0x-prefixed, checksummed as ethers writes it. */
  readonly sender: string;
  readonly nonce: number;
  /** 0x-prefixed keccak of raw. */
  readonly hash: string;
  /** 0x-prefixed signed transaction (EIP-1559, type 2). */
  readonly raw: string;
  readonly maxFeePerGas: string;
  readonly maxPriorityFeePerGas: string;
  readonly status: TxStatus;
  /** The transaction this one replaced (same nonce), null for the first. */
  readonly replaces: number | null;
  readonly createdAt: number;
  readonly broadcastAt: number | null;
  readonly blockNumber: number | null;
  readonly blockHash: string | null;
  readonly gasUsed: number | null;
  readonly effectiveGasPrice: string | null;
}

export interface SignedTx {
  readonly hash: string;
  readonly raw: string;
  readonly nonce: number;
  readonly maxFeePerGas: string;
  readonly maxPriorityFeePerGas: string;
}

export interface MinedInput {
  readonly blockNumber: number;
  readonly blockHash: string;
  /** Block timestamp, ms. */
  readonly blockTime: number;
  readonly gasUsed: number;
  readonly effectiveGasPrice: string;
  /** The receipt and block header as JSON text: kept because nodes may stop serving old receipts (EIP-4444). */
  readonly receipt: string;
  readonly block: string;
}

export interface AnchorErrorInput {
  readonly at: number;
  readonly batchId: number | null;
  readonly txId: number | null;
  /** Stable code (cloud/anchor/errors.ts or an ethers code). */
  readonly code: string;
  readonly message: string;
}

export interface AnchorErrorRow extends AnchorErrorInput {
  readonly id: number;
  /** Consecutive repeats of the same (code, batchId) folded into this row. */
  readonly count: number;
  readonly lastAt: number;
}

/** Totals for the relay's metrics (cloud/metrics). */
export interface AnchorStats {
  readonly batches: Readonly<Record<BatchStatus, number>>;
  /** Gas of every batch currently in a block (mined or confirmed). */
  readonly gasUsed: number;
  /** Gas of the newest batch in a block, null before the first. */
  readonly lastGasUsed: number | null;
  /** Errors logged, folded repeats counted. */
  readonly errors: number;
}

export interface RecordAnchorInfo {
  readonly record: RelayRecord;
  readonly batchId: number | null;
  /** 0-based leaf index in the batch ((gateway, seq) order); null when batchId is null. */
  readonly index: number | null;
}

export interface AnchorStore {
  /** The relay database's start and stop (database.ts): only the database's owner calls them. */
  start(): Promise<void>;
  stop(): Promise<void>;

  /**
   * One transaction: creates a batch in status building and claims every record with
   * anchor_batch NULL and periodStart ≤ received_at < periodEnd (periodStart null: no lower
   * bound). Returns undefined, creating nothing, when there is no such record.
   */
  claimBatch(input: {
    readonly periodStart: number | null;
    readonly periodEnd: number;
    readonly now: number;
  }): Promise<{ readonly id: number; readonly size: number } | undefined>;
  /** The batch's records in leaf order, `chunk` at a time (keyset pagination, never OFFSET). */
  batchRecords(batchId: number, chunk?: number): AsyncIterable<RelayRecord[]>;
  /** building → pending with the root; a batch not in building is left alone (returns false). */
  setBatchRoot(batchId: number, root: string, now: number): Promise<boolean>;
  getBatch(id: number): Promise<AnchorBatch | undefined>;
  /** Newest first; `before`: only ids below it. */
  listBatches(query: { readonly limit: number; readonly before?: number; readonly status?: readonly BatchStatus[] }): Promise<AnchorBatch[]>;
  /** The last period end of any batch, or undefined before the first. */
  lastPeriodEnd(): Promise<number | undefined>;
  /** Counts records not in any batch with received_at < before. */
  unclaimedCount(before: number): Promise<number>;

  /**
   * One transaction: nonce = max(stored next nonce for (chainId, sender), chainNonce); `sign`
   * is called with it; the signed transaction is stored (status signed), the next nonce stored
   * as nonce + 1, the batch set to sent with txHash. The batch must be pending (else the
   * transaction is rolled back and undefined returned).
   */
  recordSigned(input: {
    readonly batchId: number;
    readonly chainId: number;
    readonly sender: string;
    readonly chainNonce: number;
    readonly sign: (nonce: number) => Promise<SignedTx>;
    readonly now: number;
  }): Promise<AnchorTx | undefined>;
  /** Stores a replacement (same nonce, status signed, replaces = old.id) and marks the old one replaced; batch txHash follows. */
  recordReplacement(oldTxId: number, signed: SignedTx, now: number): Promise<AnchorTx>;
  /** signed → broadcast (a later call keeps the first broadcastAt). */
  markBroadcast(txId: number, now: number): Promise<void>;
  /**
   * The transaction's receipt: tx → mined; every other signed/broadcast transaction of the batch
   * → replaced; batch → mined with block, gas, cost and txHash.
   */
  markMined(txId: number, mined: MinedInput, now: number): Promise<void>;
  /** mined → confirmed. */
  markConfirmed(batchId: number, now: number): Promise<void>;
  /**
   * A reorg removed the block: batch → sent (block fields cleared, reorgs + 1), the mined
   * transaction → broadcast again so it is rebroadcast and watched.
   */
  markReorged(batchId: number, txId: number, now: number): Promise<void>;
  /** Every live transaction of the batch → abandoned; batch → pending (it will be signed anew). */
  abandonTxs(batchId: number, now: number): Promise<void>;
  /** Transactions in status signed or broadcast, oldest nonce first. */
  liveTxs(): Promise<AnchorTx[]>;
  txsOfBatch(batchId: number): Promise<AnchorTx[]>;
  /** The stored receipt/block JSON of a mined transaction. */
  txEvidence(txId: number): Promise<{ readonly receipt: string; readonly block: string } | undefined>;

  /** Appends, or folds into the newest row when it has the same code and batchId (count + 1, lastAt). */
  logError(input: AnchorErrorInput): Promise<void>;
  /** Newest first. */
  errors(limit: number): Promise<AnchorErrorRow[]>;
  /** Aggregates over the batches and errors, for metrics scraped every few seconds. */
  stats(): Promise<AnchorStats>;

  /** The record with its batch and leaf index, undefined when the relay does not have it. */
  recordAnchor(gateway: string, seq: number): Promise<RecordAnchorInfo | undefined>;

  /**
   * Leadership among relays sharing a database: true when `holder` holds the lease until
   * now + ttlMs (taken when free or expired, renewed when held). Always true on SQLite.
   */
  acquireLease(holder: string, now: number, ttlMs: number): Promise<boolean>;
  releaseLease(holder: string): Promise<void>;
}
