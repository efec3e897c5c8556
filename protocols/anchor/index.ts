/** Pure RFC 6962 Merkle trees and inclusion proofs over canonical records, for Ethereum anchoring (cloud/anchor). */
export * from './document.ts';
export * from './errors.ts';
export { EMPTY_ROOT, HASH_BYTES, leafHash, nodeHash } from './hash.ts';
export * from './leaf.ts';
export * from './proof.ts';
export * from './tree.ts';
