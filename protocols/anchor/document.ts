/**
 * The proof document an auditor receives for one record: the record as stored, its leaf hash, its
 * inclusion proof, the batch it was anchored in and the transaction that anchored the batch's
 * root. Everything in it can be checked without trusting the relay: the leaf is recomputed from
 * the record (canonical-v1, protocols/sync/canonical.ts), the path from the leaf to the root
 * (RFC 9162 §2.1.3.2), and the root and tree size against the Anchored event on chain
 * (cli/verify).
 *
 * Version 1, JSON:
 *
 *   { "format": "atalaya-anchor-proof", "version": 1,
 *     "record": { "gateway": …, every StoredRecord field as stored; alarm absent when there is none },
 *     "leaf": { "encoding": "canonical-v1", "hash": "<64 hex>" },
 *     "inclusion": { "version": 1, "index": …, "treeSize": …, "path": ["<64 hex>", …] },
 *     "batch": { "id": …, "root": "<64 hex>", "treeSize": …, "periodStart": "<ISO 8601>" | null, "periodEnd": "<ISO 8601>" },
 *     "anchor": { "chainId": …, "contract": "0x…", "txHash": "0x…", "blockNumber": …, "blockHash": "0x…",
 *                 "blockTime": "<ISO 8601>", "requiredConfirmations": …, "status": "mined" | "confirmed" } }
 *
 * Hashes of the tree (leaf, path, root) are lowercase hex without 0x as in proof.ts; Ethereum
 * values (contract, txHash, blockHash) keep their 0x. Parsing is strict: unknown keys refused.
 */
import type { StoredRecord } from '../records.ts';
import { documentSchema, firstProblem, LEAF_ENCODING, PROOF_DOCUMENT_FORMAT, PROOF_DOCUMENT_VERSION, type ProofDocument } from './document-schema.ts';
import { AnchorError, ATALAYA_ANCHOR_INVALID_ARGUMENT, invalidArgument } from './errors.ts';
import { recordLeafHash } from './leaf.ts';
import { type InclusionProof, proofToJson, verifyInclusion } from './proof.ts';

export * from './document-schema.ts';

export interface ProofDocumentInput {
  readonly gateway: string;
  /** Only StoredRecord's fields are copied (a relay row's extra fields are left out). */
  readonly record: StoredRecord;
  readonly proof: InclusionProof;
  /** root: 64 hex digits, with or without 0x; times in ms since the epoch. */
  readonly batch: { readonly id: number; readonly root: string; readonly treeSize: number; readonly periodStart: number | null; readonly periodEnd: number };
  /** blockTime in ms since the epoch. */
  readonly anchor: Omit<ProofDocument['anchor'], 'blockTime'> & { readonly blockTime: number };
}

export function serializeProofDocument(doc: ProofDocument): string {
  return `${JSON.stringify(doc, null, 2)}\n`;
}

/** -0 as 0, as JSON and the canonical layout write it, so a document equals its JSON text's. */
const plain = (n: number | null | undefined): number | null => (n == null ? null : n === 0 ? 0 : n);

/** The record's StoredRecord fields in canonical order; `alarm` only when the record has one, as StoredRecord keeps it. */
function storedFields(r: StoredRecord): StoredRecord {
  const base = {
    seq: r.seq,
    kind: r.kind,
    device: r.device,
    channel: r.channel,
    value: plain(r.value),
    unit: r.unit,
    quality: r.quality,
    exception: r.exception ?? null,
    ts: r.ts,
    mono: r.mono,
    bootId: r.bootId,
    priority: r.priority,
    flags: r.flags,
  };
  const a = r.alarm;
  return a === undefined || a === null ? base : { ...base, alarm: { rule: a.rule, level: a.level, state: a.state, threshold: plain(a.threshold) } };
}

/** Throws ATALAYA_ANCHOR_INVALID_ARGUMENT when the inputs do not make a valid document (a caller's bug). */
export function buildProofDocument(input: ProofDocumentInput): ProofDocument {
  const { gateway, record, proof, batch, anchor } = input;
  let leaf: Buffer;
  try {
    leaf = recordLeafHash(gateway, record);
  } catch (err) {
    throw new AnchorError(ATALAYA_ANCHOR_INVALID_ARGUMENT, 'record: the canonical encoding cannot write it', { cause: err, details: { what: 'record' } });
  }
  const doc = {
    format: PROOF_DOCUMENT_FORMAT,
    version: PROOF_DOCUMENT_VERSION,
    record: { gateway, ...storedFields(record) },
    leaf: { encoding: LEAF_ENCODING, hash: leaf.toString('hex') },
    inclusion: proofToJson(proof),
    batch: {
      id: batch.id,
      root: batch.root.replace(/^0x/, '').toLowerCase(),
      treeSize: batch.treeSize,
      periodStart: batch.periodStart === null ? null : new Date(batch.periodStart).toISOString(),
      periodEnd: new Date(batch.periodEnd).toISOString(),
    },
    anchor: {
      chainId: anchor.chainId,
      contract: anchor.contract,
      txHash: anchor.txHash.toLowerCase(),
      blockNumber: anchor.blockNumber,
      blockHash: anchor.blockHash.toLowerCase(),
      blockTime: new Date(anchor.blockTime).toISOString(),
      requiredConfirmations: anchor.requiredConfirmations,
      status: anchor.status,
    },
  };
  const parsed = documentSchema.safeParse(doc);
  if (!parsed.success) throw invalidArgument('proof document', firstProblem(parsed.error));
  return parsed.data;
}

export function documentRecord(doc: ProofDocument): { readonly gateway: string; readonly record: StoredRecord } {
  const { gateway, ...record } = doc.record;
  return { gateway, record };
}

export type OfflineCheck =
  | { readonly ok: true; readonly leafHash: string }
  | { readonly ok: false; readonly reason: 'record_altered' | 'proof_invalid'; readonly detail: string };

/**
 * What can be checked without a node: the record hashes to the stated leaf, and the path leads
 * from that leaf to the batch root in a tree of the batch's size. A record that no longer hashes
 * to its leaf is record_altered whatever else is wrong; the rest is proof_invalid.
 */
export function checkProofOffline(doc: ProofDocument): OfflineCheck {
  const { gateway, record } = documentRecord(doc);
  const leaf = recordLeafHash(gateway, record);
  const leafHex = leaf.toString('hex');
  if (leafHex !== doc.leaf.hash) {
    return { ok: false, reason: 'record_altered', detail: `the record hashes to leaf ${leafHex}, the proof states ${doc.leaf.hash}` };
  }
  const { index, treeSize, path } = doc.inclusion;
  if (treeSize !== doc.batch.treeSize) {
    return { ok: false, reason: 'proof_invalid', detail: `the inclusion proof is for a tree of ${treeSize} leaves, the batch has ${doc.batch.treeSize}` };
  }
  const hashes = path.map((h) => Buffer.from(h, 'hex'));
  if (!verifyInclusion(leaf, index, treeSize, hashes, Buffer.from(doc.batch.root, 'hex'))) {
    return { ok: false, reason: 'proof_invalid', detail: `the path does not lead from leaf ${index} of ${treeSize} to root ${doc.batch.root}` };
  }
  return { ok: true, leafHash: leafHex };
}
