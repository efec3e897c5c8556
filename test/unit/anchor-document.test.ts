import { describe, expect, it } from 'vitest';
import {
  buildProofDocument,
  checkProofOffline,
  type ProofDocument,
  type ProofDocumentInput,
  parseProofDocument,
  parseProofDocumentText,
  serializeProofDocument,
} from '../../protocols/anchor/document.ts';
import { ATALAYA_ANCHOR_INVALID_ARGUMENT, ATALAYA_ANCHOR_MALFORMED_PROOF } from '../../protocols/anchor/errors.ts';
import { leafBytes, recordLeafHash } from '../../protocols/anchor/leaf.ts';
import { auditPathLength, buildTree, inclusionProof, root } from '../../protocols/anchor/tree.ts';
import { RECORD_FLAGS, type StoredRecord } from '../../protocols/records.ts';

const reading: StoredRecord = {
  seq: 1,
  kind: 'reading',
  device: 'gas-01',
  channel: 'ch4',
  value: 12.5,
  unit: '%LEL',
  quality: 'good',
  exception: null,
  ts: 1_750_000_000_000,
  mono: 86_400_000,
  bootId: '0b2c6b1e-5a7e-4c1f-9d3e-2f1a8b7c6d5e',
  priority: 0,
  flags: 0,
};

/** One record of every shape the buffer stores, and values the canonical layout writes specially. */
const SHAPES: Record<string, Omit<StoredRecord, 'seq'>> = {
  good: reading,
  exception: { ...reading, value: null, quality: 'exception', exception: 2 },
  commError: { ...reading, value: null, quality: 'comm_error' },
  outOfRange: { ...reading, value: -1e-300, quality: 'out_of_range', unit: '' },
  bigAndNegativeZero: { ...reading, value: -0, mono: 0, ts: Number.MAX_SAFE_INTEGER },
  huge: { ...reading, value: 1e21, priority: 1 },
  unsynced: { ...reading, value: 0.1 + 0.2, flags: RECORD_FLAGS.clockUnsynced },
  unicode: { ...reading, device: 'pozo "ñandú" \\ 1', channel: 'ch\u0001\t\u2028', unit: 'm³/h', value: 3.25 },
  alarm: { ...reading, kind: 'alarm', priority: 2, value: 27.5, alarm: { rule: 'high1', level: 'warning', state: 'raised', threshold: 20 } },
  deviceAlarm: {
    ...reading,
    kind: 'alarm',
    priority: 2,
    value: null,
    quality: 'sensor_fault',
    alarm: { rule: 'device', level: 'alarm', state: 'acknowledged', threshold: null },
  },
  legacyAlarm: { ...reading, kind: 'alarm', priority: 2 },
};
const RECORDS: StoredRecord[] = Object.values(SHAPES).map((r, i) => ({ ...r, seq: 100 + i }));
const GATEWAY = 'gw-01';
const TREE = buildTree(RECORDS.map((r) => leafBytes(GATEWAY, r)));
const ROOT = root(TREE).toString('hex');

function input(index: number, record: StoredRecord = RECORDS[index] as StoredRecord): ProofDocumentInput {
  return {
    gateway: GATEWAY,
    record,
    proof: inclusionProof(TREE, index),
    batch: { id: 7, root: ROOT, treeSize: TREE.size, periodStart: null, periodEnd: 1_750_000_600_000 },
    anchor: {
      chainId: 31337,
      contract: '0x5FbDB2315678afecb367f032d93F642f64180aa3',
      txHash: `0x${'ab'.repeat(32)}`,
      blockNumber: 12,
      blockHash: `0x${'cd'.repeat(32)}`,
      blockTime: 1_750_000_612_000,
      requiredConfirmations: 2,
      status: 'mined',
    },
  };
}

const doc = (index = 0): ProofDocument => buildProofDocument(input(index));
/** Through JSON text, as an auditor receives it. */
const roundTrip = (d: ProofDocument): ProofDocument => parseProofDocumentText(serializeProofDocument(d));
/** A proof document's sections as plain JSON, which the tests overwrite with values of any type on purpose. */
type Sections = Record<'record' | 'leaf' | 'inclusion' | 'batch' | 'anchor', Record<string, unknown>>;
/** A copy with `change` applied to a plain JSON clone (what someone editing the file could do). */
function edited(d: ProofDocument, change: (o: Sections) => void): Sections {
  const o = JSON.parse(JSON.stringify(d)) as Sections;
  change(o);
  return o;
}
function malformedReason(value: unknown): string {
  try {
    parseProofDocument(value);
  } catch (err) {
    expect(err).toMatchObject({ code: ATALAYA_ANCHOR_MALFORMED_PROOF });
    return String((err as { details: { reason: string } }).details.reason);
  }
  throw new Error('accepted');
}

describe('proof documents', () => {
  it('round-trip records of every shape through JSON text and recompute the same leaf', () => {
    RECORDS.forEach((record, i) => {
      const d = doc(i);
      const back = roundTrip(d);
      expect(back).toEqual(d);
      expect(checkProofOffline(back)).toEqual({ ok: true, leafHash: recordLeafHash(GATEWAY, record).toString('hex') });
      // The record's fields are StoredRecord's exactly: nothing added, alarm only where the record has one.
      const { gateway, ...fields } = back.record;
      expect(gateway).toBe(GATEWAY);
      expect(Object.keys(fields).sort()).toEqual(Object.keys(record).sort());
    });
  });

  it('keeps the layout of version 1', () => {
    const d = doc(Object.keys(SHAPES).indexOf('alarm'));
    expect(Object.keys(d)).toEqual(['format', 'version', 'record', 'leaf', 'inclusion', 'batch', 'anchor']);
    expect(d).toMatchObject({
      format: 'atalaya-anchor-proof',
      version: 1,
      record: { gateway: 'gw-01', kind: 'alarm', alarm: { rule: 'high1', level: 'warning', state: 'raised', threshold: 20 } },
      leaf: { encoding: 'canonical-v1' },
      inclusion: { version: 1, index: 8, treeSize: RECORDS.length },
      batch: { id: 7, root: ROOT, treeSize: RECORDS.length, periodStart: null, periodEnd: '2025-06-15T15:16:40.000Z' },
      anchor: { chainId: 31337, blockNumber: 12, blockTime: '2025-06-15T15:16:52.000Z', requiredConfirmations: 2, status: 'mined' },
    });
    expect(d.leaf.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(d.inclusion.path).toHaveLength(auditPathLength(8, RECORDS.length));
  });

  it('copies only StoredRecord fields from a relay row, and normalizes the root', () => {
    const row = { ...(RECORDS[0] as StoredRecord), gateway: GATEWAY, receivedAt: 5, tsCorrected: null, hash: 'x' };
    const base = input(0, row);
    const d = buildProofDocument({ ...base, batch: { ...base.batch, root: `0x${ROOT.toUpperCase()}`, periodStart: 1_750_000_000_000 } });
    expect(Object.keys(d.record)).not.toContain('receivedAt');
    expect(d.batch.root).toBe(ROOT);
    expect(d.batch.periodStart).toBe('2025-06-15T15:06:40.000Z');
    expect(checkProofOffline(d).ok).toBe(true);
  });

  it('refuses to build a document from inputs that make an invalid one', () => {
    const base = input(0);
    for (const bad of [
      { ...base, record: { ...reading, value: Number.NaN } },
      { ...base, batch: { ...base.batch, root: 'abc' } },
      { ...base, anchor: { ...base.anchor, blockNumber: -1 } },
      { ...base, anchor: { ...base.anchor, contract: '0x1234' } },
    ]) {
      expect(() => buildProofDocument(bad)).toThrow(expect.objectContaining({ code: ATALAYA_ANCHOR_INVALID_ARGUMENT }));
    }
  });
});

describe('parseProofDocument', () => {
  const d = doc(1);

  it('refuses unknown keys, naming where', () => {
    expect(malformedReason(edited(d, (o) => ((o as Record<string, unknown>)['signature'] = 'x')))).toMatch(/^signature: unknown key/);
    expect(malformedReason(edited(d, (o) => (o['record']['receivedAt'] = 1)))).toMatch(/^record\.receivedAt: unknown key/);
    expect(malformedReason(edited(d, (o) => (o['anchor']['gasUsed'] = 1)))).toMatch(/^anchor\.gasUsed: unknown key/);
    expect(malformedReason(edited(d, (o) => (o['inclusion']['root'] = ROOT)))).toMatch(/^inclusion\.root: unknown key/);
  });

  it('refuses wrong types and shapes, naming where', () => {
    const cases: [(o: Sections) => void, RegExp][] = [
      [(o) => ((o as Record<string, unknown>)['format'] = 'other'), /^format:/],
      [(o) => ((o as Record<string, unknown>)['version'] = 2), /^version:/],
      [(o) => delete o['record']['mono'], /^record\.mono:/],
      [(o) => (o['record']['value'] = '12.5'), /^record\.value:/],
      [(o) => (o['record']['exception'] = undefined), /^record\.exception:/],
      [(o) => (o['record']['alarm'] = null), /^record\.alarm:/],
      [(o) => (o['record']['alarm'] = { rule: 'high1', level: 'warning', state: 'raised', threshold: 1 }), /^record\.alarm:/],
      [(o) => (o['leaf']['encoding'] = 'canonical-v2'), /^leaf\.encoding:/],
      [(o) => (o['leaf']['hash'] = (o['leaf']['hash'] as string).toUpperCase()), /^leaf\.hash:/],
      [(o) => (o['inclusion']['path'] = (o['inclusion']['path'] as string[]).slice(1)), /^inclusion\.path:/],
      [(o) => ((o['inclusion']['path'] as string[])[0] = 'zz'), /^inclusion\.path\[0\]:/],
      [(o) => (o['inclusion']['index'] = RECORDS.length), /^inclusion\.index:/],
      [(o) => (o['batch']['root'] = `0x${ROOT}`), /^batch\.root:/],
      [(o) => (o['batch']['periodEnd'] = 1_750_000_600_000), /^batch\.periodEnd:/],
      [(o) => (o['batch']['periodStart'] = 'yesterday'), /^batch\.periodStart:/],
      [(o) => (o['anchor']['contract'] = '0x1234'), /^anchor\.contract:/],
      [(o) => (o['anchor']['txHash'] = 'ab'.repeat(32)), /^anchor\.txHash:/],
      [(o) => (o['anchor']['requiredConfirmations'] = 0), /^anchor\.requiredConfirmations:/],
      [(o) => (o['anchor']['status'] = 'sent'), /^anchor\.status:/],
    ];
    for (const [change, where] of cases) expect(malformedReason(edited(d, change))).toMatch(where);
    expect(malformedReason([])).toMatch(/^\(root\):/);
  });

  it('refuses text that is not JSON with the same code', () => {
    expect(() => parseProofDocumentText('{"format":')).toThrow(expect.objectContaining({ code: ATALAYA_ANCHOR_MALFORMED_PROOF }));
  });
});

describe('checkProofOffline', () => {
  const d = doc(2);

  it('says record_altered when any field of the record changed', () => {
    const changes: ((o: Sections) => void)[] = [
      (o) => (o['record']['value'] = 12.6),
      (o) => (o['record']['gateway'] = 'gw-02'),
      (o) => (o['record']['exception'] = 3),
      (o) => (o['record']['flags'] = RECORD_FLAGS.clockUnsynced),
      (o) => (o['record']['ts'] = (o['record']['ts'] as number) + 1),
    ];
    for (const change of changes) expect(checkProofOffline(parseProofDocument(edited(d, change)))).toMatchObject({ ok: false, reason: 'record_altered' });
    const alarm = doc(Object.keys(SHAPES).indexOf('alarm'));
    expect(checkProofOffline(parseProofDocument(edited(alarm, (o) => ((o['record']['alarm'] as Record<string, unknown>)['state'] = 'cleared'))))).toMatchObject(
      { reason: 'record_altered' },
    );
    // Altered together with the root it claims: still the record that is wrong.
    expect(
      checkProofOffline(
        parseProofDocument(
          edited(d, (o) => {
            o['record']['value'] = 1;
            o['batch']['root'] = 'ee'.repeat(32);
          }),
        ),
      ),
    ).toMatchObject({ reason: 'record_altered' });
    // A leaf hash that is not the record's.
    expect(checkProofOffline(parseProofDocument(edited(d, (o) => (o['leaf']['hash'] = 'ee'.repeat(32)))))).toMatchObject({ reason: 'record_altered' });
  });

  it('says proof_invalid when the record is intact but the path, index, size or root is not', () => {
    const sibling = (h: string): string => (h[0] === '0' ? '1' : '0') + h.slice(1);
    // Leaf 2 and leaf 3 of 11 both have 4-hash paths: only the position changes.
    expect(auditPathLength(3, RECORDS.length)).toBe(auditPathLength(2, RECORDS.length));
    const changes: ((o: Sections) => void)[] = [
      (o) => {
        const path = o['inclusion']['path'] as string[];
        path[1] = sibling(path[1]!);
      },
      (o) => (o['inclusion']['index'] = 3),
      (o) => (o['batch']['root'] = sibling(o['batch']['root'] as string)),
      (o) => (o['batch']['treeSize'] = RECORDS.length + 1),
    ];
    for (const change of changes) {
      const result = checkProofOffline(parseProofDocument(edited(d, change)));
      expect(result).toMatchObject({ ok: false, reason: 'proof_invalid' });
    }
  });
});
