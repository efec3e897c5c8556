/**
 * The anchoring transaction engine (docs/anchoring.md#transactions).
 * One tick, run every anchor.pollMs by the relay holding the lease:
 *
 *  1. batches with live transactions: record the receipt of whichever was mined; broadcast what
 *     was signed but not sent (a crash between signing and broadcasting); rebroadcast what the
 *     node forgot (dropped); replace what waited longer than replaceAfterMs with ≥ 10 % higher
 *     fees on both fee fields; give up a nonce another sender consumed and sign anew;
 *  2. pending batches: sign with the nonce kept in the database, persist, then broadcast;
 *  3. mined batches: count confirmations; within reorgWatchBlocks of the head, check the anchor's
 *     block is still canonical, and if not send the batch back to be anchored again.
 *
 * The node being down never throws out of a tick: each failure is logged to anchor_errors and the
 * next tick carries on from what the database says. Nothing is kept in memory between ticks.
 */

import type { Wallet } from 'ethers';
import type { Logger } from 'pino';
import type { Clock } from '../../protocols/clock.ts';
import { isAtalayaError } from '../../protocols/errors.ts';
import type { AnchorBatch, AnchorStore, AnchorTx } from '../store/anchor-types.ts';
import type { Chain, RpcReceipt } from './chain.ts';
import type { AnchorConfig } from './config.ts';
import { anchorCallData } from './contract/abi.ts';
import {
  ATALAYA_ANCHOR_FEE_TOO_HIGH,
  ATALAYA_ANCHOR_INTERNAL,
  ATALAYA_ANCHOR_NONCE_TAKEN,
  ATALAYA_ANCHOR_REORG,
  ATALAYA_ANCHOR_RPC_FAILED,
  ATALAYA_ANCHOR_TX_REVERTED,
  ATALAYA_ANCHOR_TX_STUCK,
  ATALAYA_ANCHOR_WRONG_CHAIN,
  anchorError,
} from './errors.ts';
import { type FeePolicy, feePolicy, initialFees, replacementFees, signAnchor } from './signer.ts';

export interface EngineDeps {
  readonly config: AnchorConfig & { readonly chainId: number; readonly contract: string };
  readonly store: AnchorStore;
  readonly chain: Chain;
  readonly wallet: Wallet;
  readonly clock: Clock;
  readonly logger: Logger;
  /** This relay's name for the lease. */
  readonly instance: string;
}

export interface TickReport {
  readonly ran: boolean;
  readonly signed: number;
  readonly mined: number;
  readonly confirmed: number;
  readonly reorged: number;
}

const LEASE_TTL_FACTOR = 4;

export class AnchorEngine {
  private readonly log: Logger;
  private readonly fees: FeePolicy;
  private chainChecked = false;
  private ticking: Promise<TickReport> | undefined;
  private counts = { signed: 0, mined: 0, confirmed: 0, reorged: 0 };

  constructor(private readonly deps: EngineDeps) {
    this.log = deps.logger.child({ component: 'anchor-engine' });
    this.fees = feePolicy(deps.config);
  }

  get sender(): string {
    return this.deps.wallet.address;
  }

  /**
   * Whether this relay leads anchoring (holds or takes the lease): with several relays on one
   * PostgreSQL database only the leader closes periods on schedule and sends transactions.
   */
  leads(): Promise<boolean> {
    const { store, clock, config, instance } = this.deps;
    return store.acquireLease(instance, clock.now(), config.pollMs * LEASE_TTL_FACTOR + 30_000);
  }

  /** One pass; a tick asked for while one runs shares it. Never throws for chain failures. */
  tick(): Promise<TickReport> {
    this.ticking ??= this.run().finally(() => {
      this.ticking = undefined;
    });
    return this.ticking;
  }

  /** Resolves when no tick is running. */
  async idle(): Promise<void> {
    await this.ticking?.catch(() => undefined);
  }

  private async run(): Promise<TickReport> {
    this.counts = { signed: 0, mined: 0, confirmed: 0, reorged: 0 };
    if (!(await this.leads())) return { ran: false, ...this.counts };
    try {
      await this.checkChain();
      const head = await this.deps.chain.blockNumber();
      await this.advanceLive();
      await this.signPending();
      await this.watchMined(head);
    } catch (err) {
      await this.logError(err, null, null);
    }
    return { ran: true, ...this.counts };
  }

  private async checkChain(): Promise<void> {
    if (this.chainChecked) return;
    const id = await this.deps.chain.nodeChainId();
    if (id !== this.deps.config.chainId) {
      throw anchorError(
        ATALAYA_ANCHOR_WRONG_CHAIN,
        `the node at anchor.rpcUrl is on chain ${id}, not anchor.chainId ${this.deps.config.chainId}: nothing is signed`,
        { details: { chainId: id } },
      );
    }
    this.chainChecked = true;
  }

  /** Step 1, per batch: its live transactions, newest first. */
  private async advanceLive(): Promise<void> {
    const byBatch = new Map<number, AnchorTx[]>();
    for (const tx of await this.deps.store.liveTxs()) byBatch.set(tx.batchId, [tx, ...(byBatch.get(tx.batchId) ?? [])]);
    for (const [batchId, txs] of byBatch) {
      try {
        await this.advanceBatch(
          batchId,
          txs.sort((a, b) => b.id - a.id),
        );
      } catch (err) {
        await this.logError(err, batchId, txs[0]?.id ?? null);
      }
    }
  }

  private async advanceBatch(batchId: number, txs: AnchorTx[]): Promise<void> {
    const { chain, store, clock, config } = this.deps;
    // Any transaction of the batch may be the one mined, a replaced one included: a miner that
    // never saw the replacement mines the original. Only then may the nonce count as taken.
    const candidates = (await store.txsOfBatch(batchId)).filter((t) => t.status !== 'abandoned').sort((a, b) => b.id - a.id);
    for (const tx of candidates) {
      const receipt = await chain.receipt(tx.hash);
      if (receipt !== null) return this.recordMined(tx, receipt);
    }
    const current = txs[0];
    if (current === undefined) return;
    if (current.status === 'signed' || !(await chain.knows(current.hash))) {
      // Never sent, or dropped by the node. Its nonce may meanwhile belong to someone else.
      if ((await chain.nonce(current.sender, 'latest')) > current.nonce) {
        await store.abandonTxs(batchId, clock.now());
        await this.logCode(
          ATALAYA_ANCHOR_NONCE_TAKEN,
          `nonce ${current.nonce} was used by another transaction: batch ${batchId} is signed again`,
          batchId,
          current.id,
        );
        return;
      }
      await this.broadcast(current);
      return;
    }
    const since = current.broadcastAt ?? current.createdAt;
    if (clock.now() - since < config.replaceAfterMs) return;
    await this.replace(current);
  }

  private async recordMined(tx: AnchorTx, receipt: RpcReceipt): Promise<void> {
    const block = await this.deps.chain.block(receipt.blockHash);
    if (block === null) return; // reorged between the two calls: next tick
    await this.deps.store.markMined(
      tx.id,
      {
        blockNumber: receipt.blockNumber,
        blockHash: receipt.blockHash,
        blockTime: block.timestamp,
        gasUsed: receipt.gasUsed,
        effectiveGasPrice: receipt.effectiveGasPrice.toString(),
        receipt: receipt.json,
        block: block.json,
      },
      this.deps.clock.now(),
    );
    this.counts.mined++;
    if (receipt.status !== 1) {
      await this.logCode(ATALAYA_ANCHOR_TX_REVERTED, `anchor transaction ${tx.hash} reverted: batch ${tx.batchId} is not anchored`, tx.batchId, tx.id);
      await this.deps.store.abandonTxs(tx.batchId, this.deps.clock.now());
      return;
    }
    this.log.info({ batch: tx.batchId, tx: tx.hash, block: receipt.blockNumber, gasUsed: receipt.gasUsed }, 'anchor mined');
  }

  /** Sends a persisted transaction; a node that already knows it counts as sent. */
  private async broadcast(tx: AnchorTx): Promise<void> {
    const { chain, store, clock } = this.deps;
    try {
      await chain.sendRaw(tx.raw);
    } catch (err) {
      // "already known" / "nonce too low" for our own transaction are success (docs/anchoring.md#transactions):
      // asked of the node, not read from its message.
      if (!(isAtalayaError(err, ATALAYA_ANCHOR_RPC_FAILED) && (await chain.knows(tx.hash).catch(() => false)))) throw err;
    }
    await store.markBroadcast(tx.id, clock.now());
    this.log.info({ batch: tx.batchId, tx: tx.hash, nonce: tx.nonce }, 'anchor transaction broadcast');
  }

  private async replace(old: AnchorTx): Promise<void> {
    const { chain, store, clock, wallet, config } = this.deps;
    const batch = await store.getBatch(old.batchId);
    if (batch?.root === null || batch === undefined) return;
    const head = await chain.block('latest');
    if (head === null) return;
    const fees = replacementFees(
      { maxFeePerGas: BigInt(old.maxFeePerGas), maxPriorityFeePerGas: BigInt(old.maxPriorityFeePerGas) },
      head.baseFeePerGas,
      await chain.priorityFee(),
      this.fees,
    );
    if (fees === undefined) {
      await this.logCode(ATALAYA_ANCHOR_FEE_TOO_HIGH, `replacing ${old.hash} needs more than anchor.maxFeeGwei: waiting`, old.batchId, old.id);
      return;
    }
    const signed = await signAnchor(wallet, this.fields(batch), old.nonce, fees);
    const tx = await store.recordReplacement(old.id, signed, clock.now());
    await this.logCode(ATALAYA_ANCHOR_TX_STUCK, `${old.hash} not mined after ${config.replaceAfterMs} ms: replaced by ${tx.hash}`, old.batchId, tx.id);
    await this.broadcast(tx);
  }

  /** Step 2. */
  private async signPending(): Promise<void> {
    const pending = (await this.deps.store.listBatches({ limit: 100, status: ['pending'] })).sort((a, b) => a.id - b.id);
    for (const batch of pending) {
      try {
        if (!(await this.sign(batch))) return;
      } catch (err) {
        await this.logError(err, batch.id, null);
        return;
      }
    }
  }

  /** False when signing should stop for this tick (fees, revert). */
  private async sign(batch: AnchorBatch): Promise<boolean> {
    const { chain, store, clock, wallet, config } = this.deps;
    const fields = this.fields(batch);
    if (!(await chain.wouldSucceed({ from: wallet.address, to: config.contract, data: anchorCallData(fields.root, fields.batchId, fields.size) }))) {
      await this.logCode(ATALAYA_ANCHOR_TX_REVERTED, `anchor() would revert for ${wallet.address}: is it the owner of ${config.contract}?`, batch.id, null);
      return false;
    }
    const head = await chain.block('latest');
    if (head === null) return false;
    const fees = initialFees(head.baseFeePerGas, await chain.priorityFee(), this.fees);
    if (fees === undefined) {
      await this.logCode(ATALAYA_ANCHOR_FEE_TOO_HIGH, `base fee ${head.baseFeePerGas} wei exceeds anchor.maxFeeGwei: waiting`, batch.id, null);
      return false;
    }
    const chainNonce = await chain.nonce(wallet.address, 'pending');
    const tx = await store.recordSigned({
      batchId: batch.id,
      chainId: config.chainId,
      sender: wallet.address,
      chainNonce,
      now: clock.now(),
      sign: (nonce) => signAnchor(wallet, fields, nonce, fees),
    });
    if (tx === undefined) return true;
    this.counts.signed++;
    this.log.info({ batch: batch.id, tx: tx.hash, nonce: tx.nonce }, 'anchor transaction signed');
    await this.broadcast(tx);
    return true;
  }

  /** Step 3. */
  private async watchMined(head: number): Promise<void> {
    const { store, chain, clock, config } = this.deps;
    const batches = await store.listBatches({ limit: 1000, status: ['mined', 'confirmed'] });
    for (const batch of batches) {
      if (batch.blockNumber === null || batch.txHash === null) continue;
      if (batch.status === 'confirmed' && batch.blockNumber < head - config.reorgWatchBlocks) continue;
      const receipt = await chain.receipt(batch.txHash);
      if (receipt === null || receipt.blockHash !== batch.blockHash) {
        const tx = (await store.txsOfBatch(batch.id)).find((t) => t.status === 'mined');
        if (tx === undefined) continue;
        await store.markReorged(batch.id, tx.id, clock.now());
        this.counts.reorged++;
        await this.logCode(
          ATALAYA_ANCHOR_REORG,
          `block ${batch.blockNumber} (${batch.blockHash}) is no longer canonical: batch ${batch.id} is anchored again`,
          batch.id,
          tx.id,
        );
        continue;
      }
      if (batch.status === 'mined' && head - batch.blockNumber + 1 >= config.confirmations) {
        await store.markConfirmed(batch.id, clock.now());
        this.counts.confirmed++;
        this.log.info({ batch: batch.id, block: batch.blockNumber, confirmations: head - batch.blockNumber + 1 }, 'anchor confirmed');
      }
    }
  }

  private fields(batch: AnchorBatch): { chainId: number; contract: string; gasLimit: number; root: string; batchId: number; size: number } {
    const { config } = this.deps;
    return { chainId: config.chainId, contract: config.contract, gasLimit: config.gasLimit, root: batch.root ?? '', batchId: batch.id, size: batch.size };
  }

  private async logCode(code: string, message: string, batchId: number | null, txId: number | null): Promise<void> {
    this.log.warn({ code, batch: batchId, tx: txId }, message);
    await this.deps.store
      .logError({ at: this.deps.clock.now(), batchId, txId, code, message })
      .catch((err: unknown) => this.log.error({ err }, 'cannot record an anchoring error'));
  }

  private async logError(err: unknown, batchId: number | null, txId: number | null): Promise<void> {
    const code = typeof (err as { code?: unknown }).code === 'string' ? (err as { code: string }).code : ATALAYA_ANCHOR_INTERNAL;
    await this.logCode(code, (err as Error).message ?? String(err), batchId, txId);
  }
}
