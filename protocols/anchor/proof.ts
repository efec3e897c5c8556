/**
 * Inclusion proofs: checking one (RFC 9162 §2.1.3.2) and their JSON form.
 *
 * JSON form, version 1 (what a holder of one reading keeps next to it):
 *
 *   { "version": 1, "index": 5, "treeSize": 1000, "path": ["<64 lowercase hex>", …] }
 *
 * index is the leaf's 0-based position, treeSize the number of leaves, path the audit path of
 * RFC 6962 §2.1.1 from the leaf's sibling upward. Parsing is strict: no other keys, exact types,
 * index < treeSize, and exactly as many path hashes as that index in that size needs.
 */

import { malformedProof } from './errors.ts';
import { HASH_BYTES, nodeHash } from './hash.ts';
import { auditPathLength } from './tree.ts';

export const PROOF_VERSION = 1;

export interface InclusionProof {
  readonly index: number;
  readonly treeSize: number;
  /** 32-byte hashes, leaf's sibling first. */
  readonly path: readonly Buffer[];
}

export interface InclusionProofJson {
  readonly version: typeof PROOF_VERSION;
  readonly index: number;
  readonly treeSize: number;
  readonly path: readonly string[];
}

/**
 * RFC 9162 §2.1.3.2 (the same check as RFC 6962 §2.1.1's audit path): true only if `path`
 * leads from `leafHash` at `index` to `root` in a tree of `treeSize` leaves. Never throws:
 * anything malformed (wrong lengths, index outside the tree, a path too long or too short) is
 * false. Arithmetic is on doubles, not 32-bit shifts, so every safe-integer size works.
 * The root does not commit to the size (leaf 0 of 3 also verifies as leaf 0 of 4 with the same
 * path), so treeSize must come from the anchor, published next to the root, not from the proof.
 */
export function verifyInclusion(leafHash: Uint8Array, index: number, treeSize: number, path: readonly Uint8Array[], root: Uint8Array): boolean {
  if (!isHash(leafHash) || !isHash(root) || !Array.isArray(path)) return false;
  // Step 1: leaf_index < tree_size.
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(treeSize) || index < 0 || index >= treeSize) return false;
  // Step 2–3.
  let fn = index;
  let sn = treeSize - 1;
  let r: Uint8Array = leafHash;
  // Step 4.
  for (const p of path) {
    if (!isHash(p)) return false;
    if (sn === 0) return false; // 4a: the path is longer than the tree is deep
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r); // 4b.i
      // 4b.ii: an even fn equal to sn is a right-edge node carried up; skip the levels where it had no sibling.
      while (fn % 2 === 0 && fn !== 0) {
        fn /= 2;
        sn = Math.floor(sn / 2);
      }
    } else {
      r = nodeHash(r, p);
    }
    // 4c.
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  // Step 5.
  return sn === 0 && Buffer.compare(r, root) === 0;
}

export function proofToJson(proof: InclusionProof): InclusionProofJson {
  return {
    version: PROOF_VERSION,
    index: proof.index,
    treeSize: proof.treeSize,
    path: proof.path.map((h) => Buffer.from(h.buffer, h.byteOffset, h.byteLength).toString('hex')),
  };
}

const KEYS: ReadonlySet<string> = new Set(['version', 'index', 'treeSize', 'path']);
const HEX_HASH = /^[0-9a-f]{64}$/;

/** Strict reader of the JSON form (an already parsed value); throws ATALAYA_ANCHOR_MALFORMED_PROOF. */
export function proofFromJson(value: unknown): InclusionProof {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw malformedProof('expected an object');
  const o = value as Record<string, unknown>;
  for (const key of Object.keys(o)) if (!KEYS.has(key)) throw malformedProof(`${key}: unknown key`);
  if (o['version'] !== PROOF_VERSION) throw malformedProof(`version: expected ${PROOF_VERSION}`);
  const { index, treeSize, path } = o;
  if (typeof treeSize !== 'number' || !Number.isSafeInteger(treeSize) || treeSize < 1) throw malformedProof('treeSize: expected a positive safe integer');
  if (typeof index !== 'number' || !Number.isSafeInteger(index) || index < 0 || index >= treeSize)
    throw malformedProof('index: expected an integer in 0..treeSize-1');
  if (!Array.isArray(path)) throw malformedProof('path: expected an array');
  const expected = auditPathLength(index, treeSize);
  if (path.length !== expected) throw malformedProof(`path: expected ${expected} hashes for this index and treeSize`);
  const hashes = path.map((h: unknown, i) => {
    if (typeof h !== 'string' || !HEX_HASH.test(h)) throw malformedProof(`path[${i}]: expected ${2 * HASH_BYTES} lowercase hex digits`);
    return Buffer.from(h, 'hex');
  });
  return { index, treeSize, path: hashes };
}

export function serializeInclusionProof(proof: InclusionProof): string {
  return JSON.stringify(proofToJson(proof));
}

/** JSON text → proof; bad JSON is ATALAYA_ANCHOR_MALFORMED_PROOF like a bad shape. */
export function parseInclusionProof(text: string): InclusionProof {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw malformedProof('not JSON', err);
  }
  return proofFromJson(value);
}

function isHash(h: unknown): h is Uint8Array {
  return h instanceof Uint8Array && h.length === HASH_BYTES;
}
