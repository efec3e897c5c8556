/**
 * Closes anchoring periods: claims every record received before the period's end that is in no
 * batch yet, hashes them in leaf order ((gateway, seq): stable whatever order they arrived in)
 * and stores the Merkle root. Claiming and rooting are two steps so that a million-record batch
 * never holds a write transaction while it hashes; a crash in between leaves the batch in
 * `building`, which resume() finishes from the claimed records.
 */
import type { Logger } from 'pino';
import { buildTreeFromLeafHashes, HASH_BYTES, type MerkleTree, recordLeafHash, root } from '../../protocols/anchor/index.ts';
import type { Clock } from '../../protocols/clock.ts';
import type { AnchorBatch, AnchorStore } from '../store/anchor-types.ts';

export interface BatcherDeps {
  readonly store: AnchorStore;
  readonly clock: Clock;
  readonly logger: Logger;
}

/** Builds the tree of a batch from its stored records (what proofs and verify-db need too). */
export async function treeOfBatch(store: AnchorStore, batchId: number): Promise<MerkleTree> {
  const parts: Buffer[] = [];
  for await (const chunk of store.batchRecords(batchId)) {
    const hashes = Buffer.allocUnsafe(chunk.length * HASH_BYTES);
    chunk.forEach((r, i) => {
      recordLeafHash(r.gateway, r).copy(hashes, i * HASH_BYTES);
    });
    parts.push(hashes);
  }
  return buildTreeFromLeafHashes(Buffer.concat(parts));
}

export class Batcher {
  private readonly log: Logger;

  constructor(private readonly deps: BatcherDeps) {
    this.log = deps.logger.child({ component: 'anchor-batcher' });
  }

  /**
   * Closes a period: a new batch of every unclaimed record with periodStart ≤ receivedAt <
   * periodEnd (periodStart null: no lower bound). Undefined when there was nothing to anchor.
   */
  async cut(periodEnd: number, periodStart: number | null = null): Promise<AnchorBatch | undefined> {
    const claim = await this.deps.store.claimBatch({ periodStart, periodEnd, now: this.deps.clock.now() });
    if (claim === undefined) {
      this.log.info({ periodStart, periodEnd }, 'anchoring period closed with no records');
      return undefined;
    }
    return this.build(claim.id);
  }

  /** Finishes batches a crash left in building. */
  async resume(): Promise<void> {
    for (const batch of await this.deps.store.listBatches({ limit: 1000, status: ['building'] })) await this.build(batch.id);
  }

  private async build(batchId: number): Promise<AnchorBatch | undefined> {
    const tree = await treeOfBatch(this.deps.store, batchId);
    const hex = root(tree).toString('hex');
    await this.deps.store.setBatchRoot(batchId, hex, this.deps.clock.now());
    const batch = await this.deps.store.getBatch(batchId);
    this.log.info({ batch: batchId, size: tree.size, root: hex }, 'anchoring batch built');
    return batch;
  }
}
