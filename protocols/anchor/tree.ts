/**
 * RFC 6962 §2.1 Merkle Tree Hash over an ordered list of leaves, built bottom-up one level at a
 * time rather than by the RFC's recursion: each level pairs adjacent nodes left to right, and an
 * odd last node is carried up unchanged, never paired with a copy of itself (duplicating it is
 * Bitcoin's CVE-2012-2459: two lists, one root). Carrying up gives exactly the RFC's split at the
 * largest power of two k < n, because the first k leaves always pair off completely (a perfect
 * subtree) and the carried node is the root of the right part D[k:n]; test/unit/anchor-tree
 * checks it against the recursive definition for every n in 1..70.
 *
 * Memory: each level is one Buffer of 32-byte hashes, about 2 × 32 × n bytes in all (64 MB for a
 * million leaves) and two objects per level instead of one per node.
 */
import { invalidArgument } from './errors.ts';
import { EMPTY_ROOT, HASH_BYTES, leafHash, nodeHashInto } from './hash.ts';
import type { InclusionProof } from './proof.ts';

export interface MerkleTree {
  /** Number of leaves, 0 … 2^53 − 1 in principle; Buffer limits bound it far lower in practice. */
  readonly size: number;
  /**
   * levels[0] holds the leaf hashes, 32 bytes each in leaf order; levels[h + 1] holds ⌈m / 2⌉
   * hashes for the m of levels[h]; the last level is the root alone. No levels when size is 0.
   */
  readonly levels: readonly Buffer[];
}

/** Hashes every leaf (RFC 6962 §2.1: SHA-256(0x00 ‖ d)) and builds the tree over them. */
export function buildTree(leaves: readonly Uint8Array[]): MerkleTree {
  const level = Buffer.allocUnsafe(leaves.length * HASH_BYTES);
  for (let i = 0; i < leaves.length; i++) {
    const leaf = leaves[i];
    if (!(leaf instanceof Uint8Array)) throw invalidArgument(`leaves[${i}]`, 'expected a Uint8Array');
    leafHash(leaf).copy(level, i * HASH_BYTES);
  }
  return fromLevel0(level);
}

/**
 * Builds the tree over leaf hashes already computed (n × 32 bytes, concatenated), so a caller
 * can hash records as it streams them and never hold every record's bytes at once. The input is
 * copied.
 */
export function buildTreeFromLeafHashes(hashes: Uint8Array): MerkleTree {
  if (!(hashes instanceof Uint8Array)) throw invalidArgument('hashes', 'expected a Uint8Array');
  if (hashes.length % HASH_BYTES !== 0) throw invalidArgument('hashes', `expected a multiple of ${HASH_BYTES} bytes`);
  return fromLevel0(Buffer.from(hashes));
}

function fromLevel0(level0: Buffer): MerkleTree {
  const size = level0.length / HASH_BYTES;
  if (size === 0) return { size, levels: [] };
  const levels: Buffer[] = [level0];
  const scratch = Buffer.allocUnsafe(1 + 2 * HASH_BYTES);
  let level = level0;
  let count = size;
  while (count > 1) {
    const pairs = Math.floor(count / 2);
    const next = Buffer.allocUnsafe(Math.ceil(count / 2) * HASH_BYTES);
    for (let p = 0; p < pairs; p++) nodeHashInto(level, 2 * p * HASH_BYTES, scratch, next, p * HASH_BYTES);
    if (count % 2 === 1) level.copy(next, pairs * HASH_BYTES, (count - 1) * HASH_BYTES, count * HASH_BYTES);
    levels.push(next);
    level = next;
    count = Math.ceil(count / 2);
  }
  return { size, levels };
}

/** MTH(D[n]) (RFC 6962 §2.1); SHA-256() for the empty tree. A copy, safe to keep. */
export function root(tree: MerkleTree): Buffer {
  const top = tree.levels[tree.levels.length - 1];
  return Buffer.from(top ?? EMPTY_ROOT);
}

/** The leaf hash at `index`, 32 bytes (a copy). */
export function leafHashAt(tree: MerkleTree, index: number): Buffer {
  checkIndex(tree, index);
  const level0 = tree.levels[0] as Buffer;
  return Buffer.from(level0.subarray(index * HASH_BYTES, (index + 1) * HASH_BYTES));
}

/**
 * Audit path PATH(m, D[n]) of RFC 6962 §2.1.1, from the leaf's sibling up to the child of the
 * root: at each level the sibling of the current node when it has one; a node carried up
 * unchanged contributes nothing, as the RFC's recursion adds nothing for it.
 */
export function inclusionProof(tree: MerkleTree, index: number): InclusionProof {
  checkIndex(tree, index);
  const path: Buffer[] = [];
  let i = index;
  let count = tree.size;
  for (let h = 0; count > 1; h++) {
    const sibling = i % 2 === 0 ? i + 1 : i - 1;
    if (sibling < count) {
      const level = tree.levels[h] as Buffer;
      path.push(Buffer.from(level.subarray(sibling * HASH_BYTES, (sibling + 1) * HASH_BYTES)));
    }
    i = Math.floor(i / 2);
    count = Math.ceil(count / 2);
  }
  return { index, treeSize: tree.size, path };
}

/**
 * Number of hashes in the audit path of leaf `index` in a tree of `treeSize` leaves, at most
 * ⌈log₂ treeSize⌉; lets a parser refuse a path of the wrong length before hashing anything.
 */
export function auditPathLength(index: number, treeSize: number): number {
  let length = 0;
  let i = index;
  for (let count = treeSize; count > 1; count = Math.ceil(count / 2)) {
    if ((i % 2 === 0 ? i + 1 : i - 1) < count) length++;
    i = Math.floor(i / 2);
  }
  return length;
}

function checkIndex(tree: MerkleTree, index: number): void {
  if (!Number.isSafeInteger(index) || index < 0 || index >= tree.size) {
    throw invalidArgument('index', `expected an integer in 0..${tree.size - 1}`);
  }
}
