import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { leafHash } from '../../protocols/anchor/hash.ts';
import { LEAF_VERSION, leafBytes, recordLeafHash } from '../../protocols/anchor/leaf.ts';
import { verifyInclusion } from '../../protocols/anchor/proof.ts';
import { buildTree, inclusionProof, root } from '../../protocols/anchor/tree.ts';
import type { StoredRecord } from '../../protocols/records.ts';
import { CANONICAL_VERSION, canonicalRecord, recordHash } from '../../protocols/sync/canonical.ts';
import { ATALAYA_SYNC_MALFORMED } from '../../protocols/sync/errors.ts';

const reading: StoredRecord = {
  seq: 42,
  kind: 'reading',
  device: 'gas-01',
  channel: 'ch4',
  value: 12.5,
  unit: '%LEL',
  quality: 'good',
  exception: null,
  ts: 1_750_000_000_000,
  mono: 86_400_000,
  bootId: 'b0',
  priority: 0,
  flags: 0,
};

describe('record leaves', () => {
  it('are the version-1 canonical encoding, which starts with its version', () => {
    expect(LEAF_VERSION).toBe(CANONICAL_VERSION);
    expect(leafBytes('gw-01', reading).toString('utf8')).toBe(
      '[1,"gw-01",42,"reading","gas-01","ch4",12.5,"%LEL","good",null,1750000000000,86400000,"b0",0,0,null]',
    );
    expect(leafBytes('gw-01', reading)).toEqual(canonicalRecord('gw-01', reading));
  });

  it('hash as SHA-256(0x00 ‖ canonical bytes), not as the stored recordHash', () => {
    const bytes = canonicalRecord('gw-01', reading);
    const expected = createHash('sha256')
      .update(Buffer.from([0]))
      .update(bytes)
      .digest();
    expect(recordLeafHash('gw-01', reading)).toEqual(expected);
    expect(recordLeafHash('gw-01', reading).toString('hex')).not.toBe(recordHash('gw-01', reading));
    expect(recordLeafHash('gw-02', reading)).not.toEqual(expected);
  });

  it('refuse a record the canonical layout cannot write', () => {
    expect(() => leafBytes('gw-01', { ...reading, value: Number.NaN })).toThrow(expect.objectContaining({ code: ATALAYA_SYNC_MALFORMED }));
  });

  it('prove one reading of a batch', () => {
    const records = Array.from({ length: 9 }, (_, i) => ({ ...reading, seq: i + 1, value: i / 4 }));
    const tree = buildTree(records.map((r) => leafBytes('gw-01', r)));
    const proof = inclusionProof(tree, 4);
    expect(verifyInclusion(recordLeafHash('gw-01', records[4] as StoredRecord), 4, 9, proof.path, root(tree))).toBe(true);
    const changed = { ...(records[4] as StoredRecord), value: 1.25 };
    expect(verifyInclusion(recordLeafHash('gw-01', changed), 4, 9, proof.path, root(tree))).toBe(false);
    expect(leafHash(leafBytes('gw-01', records[4] as StoredRecord))).toEqual(recordLeafHash('gw-01', records[4] as StoredRecord));
  });
});
