import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ATALAYA_ANCHOR_INVALID_ARGUMENT, isAnchorError } from '../../protocols/anchor/errors.ts';
import { EMPTY_ROOT, leafHash, nodeHash } from '../../protocols/anchor/hash.ts';
import { buildTree, buildTreeFromLeafHashes, inclusionProof, leafHashAt, root } from '../../protocols/anchor/tree.ts';

/**
 * The eight leaves and roots of the certificate-transparency reference tests
 * (google/certificate-transparency, merkle_tree_test.cc; the same data as Trillian's
 * RFC 6962 test vectors): root of the first n leaves, n = 1..8.
 */
const CT_LEAVES = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'].map((h) => Buffer.from(h, 'hex'));
const CT_ROOTS = [
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

// RFC 6962 §2.1 and §2.1.1 as the RFC states them (recursive, own hashing): the reference.

function sha256(...parts: Uint8Array[]): Buffer {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
}

/** Largest power of two strictly smaller than n (n > 1). */
function split(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** MTH(D[n]), §2.1. */
function naiveRoot(leaves: readonly Uint8Array[]): Buffer {
  const n = leaves.length;
  if (n === 0) return sha256();
  if (n === 1) return sha256(Buffer.from([0x00]), leaves[0] as Uint8Array);
  const k = split(n);
  return sha256(Buffer.from([0x01]), naiveRoot(leaves.slice(0, k)), naiveRoot(leaves.slice(k)));
}

/** PATH(m, D[n]), §2.1.1: subtree path first, the sibling subtree's hash appended. */
function naivePath(m: number, leaves: readonly Uint8Array[]): Buffer[] {
  const n = leaves.length;
  if (n <= 1) return [];
  const k = split(n);
  return m < k ? [...naivePath(m, leaves.slice(0, k)), naiveRoot(leaves.slice(k))] : [...naivePath(m - k, leaves.slice(k)), naiveRoot(leaves.slice(0, k))];
}

function makeLeaves(n: number): Buffer[] {
  return Array.from({ length: n }, (_, i) => Buffer.from(`leaf-${i}`));
}

describe('RFC 6962 §2.1 Merkle Tree Hash', () => {
  it('matches the certificate-transparency reference roots for 1..8 leaves', () => {
    CT_ROOTS.forEach((expected, i) => {
      expect(hex(root(buildTree(CT_LEAVES.slice(0, i + 1))))).toBe(expected);
    });
  });

  it('gives SHA-256() for the empty tree', () => {
    expect(hex(root(buildTree([])))).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(root(buildTree([]))).toEqual(EMPTY_ROOT);
  });

  it('matches the recursive definition for every size 1..70', () => {
    const leaves = makeLeaves(70);
    for (let n = 1; n <= 70; n++) expect(hex(root(buildTree(leaves.slice(0, n)))), `n=${n}`).toBe(hex(naiveRoot(leaves.slice(0, n))));
  });

  it('separates leaves from nodes: 0x00 and 0x01 prefixes', () => {
    const [a, b] = makeLeaves(2) as [Buffer, Buffer];
    expect(root(buildTree([a]))).toEqual(sha256(Buffer.from([0]), a));
    expect(root(buildTree([a]))).not.toEqual(sha256(a));
    const ha = leafHash(a);
    const hb = leafHash(b);
    expect(nodeHash(ha, hb)).toEqual(sha256(Buffer.from([1]), ha, hb));
    // An inner node's children, offered as one 64-byte leaf, do not hash to the inner node.
    expect(leafHash(Buffer.concat([ha, hb]))).not.toEqual(nodeHash(ha, hb));
  });

  it('never duplicates an odd last leaf (CVE-2012-2459)', () => {
    const [a, b, c] = makeLeaves(3) as [Buffer, Buffer, Buffer];
    const three = root(buildTree([a, b, c]));
    expect(three).toEqual(nodeHash(nodeHash(leafHash(a), leafHash(b)), leafHash(c)));
    expect(three).not.toEqual(root(buildTree([a, b, c, c])));
    const leaves = makeLeaves(70);
    for (let n = 1; n < 70; n += 2) {
      const odd = leaves.slice(0, n);
      expect(root(buildTree(odd)), `n=${n}`).not.toEqual(root(buildTree([...odd, odd[n - 1] as Buffer])));
    }
  });

  it('builds the same tree from precomputed leaf hashes', () => {
    const leaves = makeLeaves(37);
    const tree = buildTree(leaves);
    const fromHashes = buildTreeFromLeafHashes(Buffer.concat(leaves.map(leafHash)));
    expect(fromHashes.size).toBe(37);
    expect(root(fromHashes)).toEqual(root(tree));
    expect(leafHashAt(fromHashes, 36)).toEqual(leafHash(leaves[36] as Buffer));
  });
});

describe('RFC 6962 §2.1.1 audit paths', () => {
  it('match the recursive PATH(m, D[n]) for every index of every size 1..70', () => {
    const leaves = makeLeaves(70);
    for (let n = 1; n <= 70; n++) {
      const tree = buildTree(leaves.slice(0, n));
      for (let m = 0; m < n; m++) {
        const proof = inclusionProof(tree, m);
        expect(proof.index).toBe(m);
        expect(proof.treeSize).toBe(n);
        expect(proof.path.map(hex), `m=${m} n=${n}`).toEqual(naivePath(m, leaves.slice(0, n)).map(hex));
      }
    }
  });

  it('match the certificate-transparency reference paths (leaf 5 of 8, leaf 2 of 3)', () => {
    expect(inclusionProof(buildTree(CT_LEAVES), 5).path.map(hex)).toEqual([
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ]);
    expect(inclusionProof(buildTree(CT_LEAVES.slice(0, 3)), 2).path.map(hex)).toEqual(['fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125']);
    expect(inclusionProof(buildTree(CT_LEAVES.slice(0, 1)), 0).path).toEqual([]);
  });

  it('refuse an index outside the tree, and non-byte leaves, with a coded error', () => {
    const tree = buildTree(makeLeaves(5));
    for (const index of [-1, 5, 1.5, Number.NaN]) {
      expect(() => inclusionProof(tree, index)).toThrow(expect.objectContaining({ code: ATALAYA_ANCHOR_INVALID_ARGUMENT }));
    }
    expect(() => inclusionProof(buildTree([]), 0)).toThrow(expect.objectContaining({ code: ATALAYA_ANCHOR_INVALID_ARGUMENT }));
    let caught: unknown;
    try {
      buildTree(['text' as unknown as Uint8Array]);
    } catch (err) {
      caught = err;
    }
    expect(isAnchorError(caught, ATALAYA_ANCHOR_INVALID_ARGUMENT)).toBe(true);
    expect(() => buildTreeFromLeafHashes(new Uint8Array(33))).toThrow(expect.objectContaining({ code: ATALAYA_ANCHOR_INVALID_ARGUMENT }));
  });
});
