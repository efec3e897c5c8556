/**
 * RFC 6962 §2.1 hashing with domain separation (also RFC 9162 §2.1.1):
 *
 *   leaf hash  = SHA-256(0x00 ‖ leaf bytes)
 *   node hash  = SHA-256(0x01 ‖ left ‖ right)
 *   empty tree = SHA-256() (no input)
 *
 * The prefixes keep a 64-byte leaf from hashing like an inner node, so an inner node cannot be
 * presented as a leaf (the second-preimage attack RFC 6962 §2.1 guards against).
 */
import crypto from 'node:crypto';

export const HASH_BYTES = 32;
export const LEAF_PREFIX = 0x00;
export const NODE_PREFIX = 0x01;

/**
 * One native call per hash: crypto.hash (Node ≥ 20.12) costs about half a Hash object, which
 * matters at two million hashes per million-leaf tree; older Node 20 releases lack it.
 */
const sha256: (data: Uint8Array) => Buffer =
  typeof crypto.hash === 'function' ? (data) => crypto.hash('sha256', data, 'buffer') : (data) => crypto.createHash('sha256').update(data).digest();

/** MTH({}) = SHA-256() (RFC 6962 §2.1). */
export const EMPTY_ROOT: Buffer = sha256(new Uint8Array(0));

export function leafHash(leaf: Uint8Array): Buffer {
  const input = Buffer.allocUnsafe(1 + leaf.length);
  input[0] = LEAF_PREFIX;
  input.set(leaf, 1);
  return sha256(input);
}

export function nodeHash(left: Uint8Array, right: Uint8Array): Buffer {
  const input = Buffer.allocUnsafe(1 + 2 * HASH_BYTES);
  input[0] = NODE_PREFIX;
  input.set(left, 1);
  input.set(right, 1 + HASH_BYTES);
  return sha256(input);
}

/**
 * Hashes the sibling pair that sits at `offset` of a level buffer (left and right are adjacent)
 * into `out` at `outOffset`, reusing the caller's 65-byte `scratch`: no allocation per node but
 * the digest itself.
 */
export function nodeHashInto(level: Buffer, offset: number, scratch: Buffer, out: Buffer, outOffset: number): void {
  scratch[0] = NODE_PREFIX;
  level.copy(scratch, 1, offset, offset + 2 * HASH_BYTES);
  sha256(scratch).copy(out, outOffset);
}
