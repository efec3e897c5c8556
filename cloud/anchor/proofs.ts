/**
 * Proof documents for one record (GET /v1/proofs/<gateway>/<seq>): the record, its inclusion
 * proof in its batch's tree, the batch, and where the root was anchored. The tree is rebuilt
 * from the stored records (and its root checked against the stored one); the last few trees are
 * kept, since proofs tend to be asked for many records of one batch.
 */
import { buildProofDocument, inclusionProof, type MerkleTree, type ProofDocument, root } from '../../protocols/anchor/index.ts';
import { AtalayaError } from '../../protocols/errors.ts';
import type { AnchorStore } from '../store/anchor-types.ts';
import { treeOfBatch } from './batcher.ts';
import { ATALAYA_ANCHOR_ROOT_MISMATCH, anchorError, PROOF_NOT_ANCHORED, PROOF_NOT_FOUND } from './errors.ts';

export interface ProofServiceOptions {
  readonly store: AnchorStore;
  readonly chainId: number;
  readonly contract: string;
  readonly confirmations: number;
  /** Trees kept in memory (about 64 bytes per record each), default 2. */
  readonly cachedTrees?: number;
}

export class ProofService {
  private readonly trees = new Map<number, MerkleTree>();

  constructor(private readonly o: ProofServiceOptions) {}

  async proof(gateway: string, seq: number): Promise<ProofDocument> {
    const info = await this.o.store.recordAnchor(gateway, seq);
    if (info === undefined) throw new AtalayaError(PROOF_NOT_FOUND, `no record ${gateway}/${seq}`, { details: { gateway, seq } });
    const batch = info.batchId === null ? undefined : await this.o.store.getBatch(info.batchId);
    if (batch === undefined || info.index === null || (batch.status !== 'mined' && batch.status !== 'confirmed')) {
      const status = batch?.status ?? 'unbatched';
      throw new AtalayaError(PROOF_NOT_ANCHORED, `record ${gateway}/${seq} is not anchored yet (${status})`, {
        details: { gateway, seq, status, batch: batch?.id ?? null },
      });
    }
    if (batch.root === null || batch.txHash === null || batch.blockNumber === null || batch.blockHash === null || batch.blockTime === null) {
      throw new AtalayaError(PROOF_NOT_ANCHORED, `batch ${batch.id} has no anchor`, { details: { gateway, seq, status: batch.status, batch: batch.id } });
    }
    const tree = await this.tree(batch.id, batch.root);
    return buildProofDocument({
      gateway,
      record: info.record,
      proof: inclusionProof(tree, info.index),
      batch: { id: batch.id, root: batch.root, treeSize: batch.size, periodStart: batch.periodStart, periodEnd: batch.periodEnd },
      anchor: {
        chainId: this.o.chainId,
        contract: this.o.contract,
        txHash: batch.txHash,
        blockNumber: batch.blockNumber,
        blockHash: batch.blockHash,
        blockTime: batch.blockTime,
        requiredConfirmations: this.o.confirmations,
        status: batch.status,
      },
    });
  }

  private async tree(batchId: number, expectedRoot: string): Promise<MerkleTree> {
    const cached = this.trees.get(batchId);
    if (cached !== undefined) return cached;
    const tree = await treeOfBatch(this.o.store, batchId);
    const got = root(tree).toString('hex');
    if (got !== expectedRoot) {
      throw anchorError(ATALAYA_ANCHOR_ROOT_MISMATCH, `batch ${batchId}: stored records give root ${got}, the batch says ${expectedRoot}`, {
        details: { batch: batchId },
      });
    }
    this.trees.set(batchId, tree);
    while (this.trees.size > (this.o.cachedTrees ?? 2)) this.trees.delete(this.trees.keys().next().value as number);
    return tree;
  }
}
