/**
 * `atalaya relay verify-db`: every batch's root recomputed from the records stored now, compared
 * with the root the batch recorded and, once mined, with the Anchored event in its transaction's
 * receipt on chain. A record altered in the database after anchoring shows as a root mismatch.
 */
import { root } from '../../protocols/anchor/index.ts';
import type { AnchorBatch, AnchorStore } from '../store/anchor-types.ts';
import { treeOfBatch } from './batcher.ts';
import type { Chain } from './chain.ts';
import { anchoredEvents } from './contract/abi.ts';

export type BatchCheck =
  | 'ok'
  /** Recomputed root ≠ stored root: a record of the batch changed (or went missing). */
  | 'records_changed'
  /** The mined transaction has no Anchored event of this root, batch id and size from the contract. */
  | 'not_on_chain'
  /** No receipt for the stored transaction: reorged away or the node does not serve it. */
  | 'receipt_missing'
  /** Not yet mined (building, pending, sent): only the records were checked. */
  | 'not_anchored'
  | 'rpc_failed';

export interface BatchVerification {
  readonly batch: number;
  readonly status: AnchorBatch['status'];
  readonly size: number;
  readonly storedRoot: string | null;
  readonly recomputedRoot: string;
  readonly check: BatchCheck;
  readonly detail?: string;
}

export async function verifyDb(
  store: AnchorStore,
  chain: Chain | undefined,
  contract: string | undefined,
  onBatch?: (v: BatchVerification) => void,
): Promise<BatchVerification[]> {
  const out: BatchVerification[] = [];
  let before: number | undefined;
  for (;;) {
    const page = await store.listBatches(before === undefined ? { limit: 100 } : { limit: 100, before });
    if (page.length === 0) break;
    for (const batch of page) {
      const v = await verifyBatch(store, chain, contract, batch);
      out.push(v);
      onBatch?.(v);
    }
    before = page[page.length - 1]?.id;
  }
  return out.reverse();
}

async function verifyBatch(store: AnchorStore, chain: Chain | undefined, contract: string | undefined, batch: AnchorBatch): Promise<BatchVerification> {
  const tree = await treeOfBatch(store, batch.id);
  const recomputedRoot = root(tree).toString('hex');
  const base = { batch: batch.id, status: batch.status, size: batch.size, storedRoot: batch.root, recomputedRoot };
  if (batch.root !== null && (recomputedRoot !== batch.root || tree.size !== batch.size)) {
    return { ...base, check: 'records_changed', detail: `${tree.size} records now give ${recomputedRoot}` };
  }
  if ((batch.status !== 'mined' && batch.status !== 'confirmed') || batch.txHash === null) return { ...base, check: 'not_anchored' };
  if (chain === undefined) return { ...base, check: 'not_anchored', detail: 'no RPC: chain not checked' };
  try {
    const receipt = await chain.receipt(batch.txHash);
    if (receipt === null) return { ...base, check: 'receipt_missing', detail: batch.txHash };
    const found = anchoredEvents(receipt.logs).some(
      (e) =>
        e.root === batch.root &&
        e.batchId === batch.id &&
        e.treeSize === batch.size &&
        (contract === undefined || e.contract.toLowerCase() === contract.toLowerCase()),
    );
    return found ? { ...base, check: 'ok', detail: `block ${receipt.blockNumber}` } : { ...base, check: 'not_on_chain', detail: batch.txHash };
  } catch (err) {
    return { ...base, check: 'rpc_failed', detail: (err as Error).message };
  }
}
