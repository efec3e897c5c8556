import { describe, expect, it } from 'vitest';
import { ATALAYA_ANCHOR_MALFORMED_PROOF } from '../../protocols/anchor/errors.ts';
import { leafHash, nodeHash } from '../../protocols/anchor/hash.ts';
import type { InclusionProof } from '../../protocols/anchor/proof.ts';
import { parseInclusionProof, proofFromJson, proofToJson, serializeInclusionProof, verifyInclusion } from '../../protocols/anchor/proof.ts';
import { auditPathLength, buildTree, inclusionProof, root } from '../../protocols/anchor/tree.ts';

/** Largest power of two strictly smaller than n (n > 1), RFC 6962 §2.1. */
function split(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** Sides of PATH(m, D[n])'s hashes by the RFC's recursion ('L': the hash is the left sibling). */
function naiveSides(m: number, n: number): string {
  if (n <= 1) return '';
  const k = split(n);
  return m < k ? `${naiveSides(m, k)}R` : `${naiveSides(m - k, n - k)}L`;
}

const LEAVES = Array.from({ length: 70 }, (_, i) => Buffer.from(`leaf-${i}`));

function flip(b: Uint8Array, byte = 0): Buffer {
  const c = Buffer.from(b);
  c[byte] = (c[byte] as number) ^ 0x01;
  return c;
}

/** Every (tree size, index) of trees of 1..70 leaves. */
function* everyProof(): Generator<{ n: number; rootHash: Buffer; leaf: Buffer; proof: InclusionProof }> {
  for (let n = 1; n <= 70; n++) {
    const tree = buildTree(LEAVES.slice(0, n));
    const rootHash = root(tree);
    for (let m = 0; m < n; m++) yield { n, rootHash, leaf: leafHash(LEAVES[m] as Buffer), proof: inclusionProof(tree, m) };
  }
}

describe('verifyInclusion (RFC 9162 §2.1.3.2)', () => {
  it('accepts the proof of every index of trees of 1..70 leaves, and nothing altered', () => {
    // Wrongly accepted alterations are collected and compared once: ~120,000 checks.
    const accepted: string[] = [];
    const check = (ok: boolean, what: string): void => {
      if (ok) accepted.push(what);
    };
    for (const { n, rootHash, leaf, proof } of everyProof()) {
      const { index, path } = proof;
      const at = `m=${index} n=${n}`;
      expect(verifyInclusion(leaf, index, n, path, rootHash), at).toBe(true);
      check(verifyInclusion(flip(leaf), index, n, path, rootHash), `${at} leaf`);
      check(verifyInclusion(leaf, index, n, path, flip(rootHash, 31)), `${at} root`);
      for (let j = 0; j <= n; j++) if (j !== index) check(verifyInclusion(leaf, j, n, path, rootHash), `${at} index ${j}`);
      for (let k = 0; k < path.length; k++) {
        check(
          verifyInclusion(
            leaf,
            index,
            n,
            path.map((p, i) => (i === k ? flip(p, 17) : p)),
            rootHash,
          ),
          `${at} path[${k}]`,
        );
      }
      check(verifyInclusion(leaf, index, n, [...path, rootHash], rootHash), `${at} longer path`);
      if (path.length > 0) check(verifyInclusion(leaf, index, n, path.slice(1), rootHash), `${at} shorter path`);
    }
    expect(accepted).toEqual([]);
  });

  it('rejects a changed tree size unless that size walks the same path shape', () => {
    // The root does not commit to the size (RFC 9162 §2.1.3.2 takes tree_size from the signed
    // tree head): a proof only fails under another size when the left/right sides of its path
    // differ. The anchor must therefore publish the size with the root.
    for (const { n, rootHash, leaf, proof } of everyProof()) {
      for (const size of [n - 1, n + 1, 2 * n]) {
        if (size <= proof.index) continue;
        const sameShape = naiveSides(proof.index, size) === naiveSides(proof.index, n);
        expect(verifyInclusion(leaf, proof.index, size, proof.path, rootHash), `m=${proof.index} n=${n} size=${size}`).toBe(sameShape);
      }
    }
    // The case the comment is about: leaf 0 of 3 also verifies as leaf 0 of 4.
    const tree3 = buildTree(LEAVES.slice(0, 3));
    expect(verifyInclusion(leafHash(LEAVES[0] as Buffer), 0, 4, inclusionProof(tree3, 0).path, root(tree3))).toBe(true);
  });

  it('returns false, never throws, on malformed input', () => {
    const tree = buildTree(LEAVES.slice(0, 5));
    const leaf = leafHash(LEAVES[1] as Buffer);
    const { path } = inclusionProof(tree, 1);
    const r = root(tree);
    expect(verifyInclusion(leaf.subarray(0, 31), 1, 5, path, r)).toBe(false);
    expect(verifyInclusion(leaf, 1, 5, path, r.subarray(1))).toBe(false);
    expect(verifyInclusion(leaf, 1, 5, [path[0] as Buffer, Buffer.alloc(33), path[2] as Buffer], r)).toBe(false);
    expect(verifyInclusion(leaf, -1, 5, path, r)).toBe(false);
    expect(verifyInclusion(leaf, 1.5, 5, path, r)).toBe(false);
    expect(verifyInclusion(leaf, 1, Number.POSITIVE_INFINITY, path, r)).toBe(false);
    expect(verifyInclusion(leaf, 5, 5, path, r)).toBe(false);
  });

  it('works for indexes beyond 32 bits', () => {
    // The lone right-edge leaf of a tree of 2^40 + 1 leaves: its path is the root of the left 2^40.
    const left = Buffer.alloc(32, 7);
    const leaf = Buffer.alloc(32, 9);
    const size = 2 ** 40 + 1;
    const rootHash = nodeHash(left, leaf);
    expect(auditPathLength(2 ** 40, size)).toBe(1);
    expect(verifyInclusion(leaf, 2 ** 40, size, [left], rootHash)).toBe(true);
    expect(verifyInclusion(leaf, 2 ** 40 - 1, size, [left], rootHash)).toBe(false);
  });
});

describe('inclusion proof JSON, version 1', () => {
  const tree = buildTree(LEAVES.slice(0, 11));
  const proof = inclusionProof(tree, 6);
  const json = proofToJson(proof);
  const code = expect.objectContaining({ code: ATALAYA_ANCHOR_MALFORMED_PROOF });

  it('round-trips and still verifies', () => {
    expect(json).toEqual({ version: 1, index: 6, treeSize: 11, path: proof.path.map((p) => p.toString('hex')) });
    const back = parseInclusionProof(serializeInclusionProof(proof));
    expect(back).toEqual(proof);
    expect(verifyInclusion(leafHash(LEAVES[6] as Buffer), back.index, back.treeSize, back.path, root(tree))).toBe(true);
    const single = proofFromJson({ version: 1, index: 0, treeSize: 1, path: [] });
    expect(single).toEqual({ index: 0, treeSize: 1, path: [] });
  });

  it.each<[string, unknown]>([
    ['null', null],
    ['an array', [1, 6, 11, []]],
    ['a string', 'proof'],
    ['an unknown key', { ...json, leaf: 'x' }],
    ['no version', { index: 6, treeSize: 11, path: json.path }],
    ['version 2', { ...json, version: 2 }],
    ['version "1"', { ...json, version: '1' }],
    ['a negative index', { ...json, index: -1 }],
    ['a fractional index', { ...json, index: 6.5 }],
    ['an index as text', { ...json, index: '6' }],
    ['index = treeSize', { ...json, index: 11 }],
    ['treeSize 0', { ...json, index: 0, treeSize: 0, path: [] }],
    ['treeSize beyond 2^53', { ...json, treeSize: 2 ** 53 }],
    ['path not an array', { ...json, path: json.path.join('') }],
    ['one hash too few', { ...json, path: json.path.slice(1) }],
    ['one hash too many', { ...json, path: [...json.path, json.path[0]] }],
    ['an uppercase hash', { ...json, path: json.path.map((h, i) => (i === 0 ? h.toUpperCase() : h)) }],
    ['a 31-byte hash', { ...json, path: json.path.map((h, i) => (i === 1 ? h.slice(2) : h)) }],
    ['a hash that is not a string', { ...json, path: json.path.map((h, i) => (i === 2 ? 7 : h)) }],
    ['a path for another size', { ...json, treeSize: 8 }],
  ])('refuses %s', (_what, value) => {
    expect(() => proofFromJson(value)).toThrow(code);
  });

  it('refuses text that is not JSON', () => {
    expect(() => parseInclusionProof('{"version":1,')).toThrow(code);
  });
});
