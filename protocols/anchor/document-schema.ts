/**
 * The proof document's version-1 shape (document.ts describes it) and its strict reader: exact
 * types, unknown keys refused, the inclusion path exactly as long as its index and size need.
 */
import { z } from 'zod';
import { problemsFromZod } from '../config-errors.ts';
import type { StoredRecord } from '../records.ts';
import { MAX_GATEWAY_LENGTH, storedRecordSchema } from '../sync/schemas.ts';
import { malformedProof } from './errors.ts';
import { type InclusionProofJson, PROOF_VERSION } from './proof.ts';
import { auditPathLength } from './tree.ts';

export const PROOF_DOCUMENT_FORMAT = 'atalaya-anchor-proof';
export const PROOF_DOCUMENT_VERSION = 1;
/** The leaf layout: SHA-256(0x00 ‖ canonical version-1 bytes) (leaf.ts). */
export const LEAF_ENCODING = 'canonical-v1';
/** The relay's batch status when the document was made (cloud/store/anchor-types.ts). */
export const ANCHOR_DOCUMENT_STATUSES = ['mined', 'confirmed'] as const;

export type ProofRecord = StoredRecord & { readonly gateway: string };

export interface ProofDocument {
  readonly format: typeof PROOF_DOCUMENT_FORMAT;
  readonly version: typeof PROOF_DOCUMENT_VERSION;
  readonly record: ProofRecord;
  readonly leaf: { readonly encoding: typeof LEAF_ENCODING; readonly hash: string };
  readonly inclusion: InclusionProofJson;
  readonly batch: {
    readonly id: number;
    readonly root: string;
    readonly treeSize: number;
    readonly periodStart: string | null;
    readonly periodEnd: string;
  };
  readonly anchor: {
    readonly chainId: number;
    readonly contract: string;
    readonly txHash: string;
    readonly blockNumber: number;
    readonly blockHash: string;
    readonly blockTime: string;
    readonly requiredConfirmations: number;
    readonly status: (typeof ANCHOR_DOCUMENT_STATUSES)[number];
  };
}

const hash = z.string().regex(/^[0-9a-f]{64}$/, 'expected 64 lowercase hex digits');
const ethHash = z.string().regex(/^0x[0-9a-fA-F]{64}$/, 'expected 0x and 64 hex digits');
const count = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const positive = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER);
const isoTime = z.iso.datetime({ offset: true });

const inclusionSchema = z.strictObject({ version: z.literal(PROOF_VERSION), index: count, treeSize: positive, path: z.array(hash) }).superRefine((p, ctx) => {
  if (p.index >= p.treeSize) ctx.addIssue({ code: 'custom', path: ['index'], message: 'expected an integer in 0..treeSize-1' });
  else if (p.path.length !== auditPathLength(p.index, p.treeSize)) {
    ctx.addIssue({ code: 'custom', path: ['path'], message: `expected ${auditPathLength(p.index, p.treeSize)} hashes for this index and treeSize` });
  }
});

export const documentSchema = z.strictObject({
  format: z.literal(PROOF_DOCUMENT_FORMAT),
  version: z.literal(PROOF_DOCUMENT_VERSION),
  record: z
    .strictObject({ gateway: z.string().min(1).max(MAX_GATEWAY_LENGTH), ...storedRecordSchema.shape })
    .refine((r) => r.kind === 'alarm' || r.alarm === undefined, { path: ['alarm'], message: 'a reading carries no alarm detail' }),
  leaf: z.strictObject({ encoding: z.literal(LEAF_ENCODING), hash }),
  inclusion: inclusionSchema,
  batch: z.strictObject({ id: count, root: hash, treeSize: positive, periodStart: isoTime.nullable(), periodEnd: isoTime }),
  anchor: z.strictObject({
    chainId: positive,
    contract: z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'expected 0x and 40 hex digits'),
    txHash: ethHash,
    blockNumber: count,
    blockHash: ethHash,
    blockTime: isoTime,
    requiredConfirmations: positive,
    status: z.enum(ANCHOR_DOCUMENT_STATUSES),
  }),
});

/** "batch.root: expected 64 lowercase hex digits" for the first problem. */
export function firstProblem(error: z.ZodError): string {
  const p = problemsFromZod(documentSchema, error.issues)[0];
  return p === undefined ? 'invalid' : `${p.path === '' ? '(root)' : p.path}: ${p.message}`;
}

/** Strict reader of a parsed JSON value; throws ATALAYA_ANCHOR_MALFORMED_PROOF naming the first problem's path. */
export function parseProofDocument(value: unknown): ProofDocument {
  const parsed = documentSchema.safeParse(value);
  if (!parsed.success) throw malformedProof(firstProblem(parsed.error), parsed.error);
  return parsed.data;
}

/** JSON text → document; text that is not JSON is ATALAYA_ANCHOR_MALFORMED_PROOF like a bad shape. */
export function parseProofDocumentText(text: string): ProofDocument {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw malformedProof('not JSON', err);
  }
  return parseProofDocument(value);
}

// The schema's output stays assignable to the declared type.
type Assignable<T, _U extends T> = true;
// biome-ignore lint/correctness/noUnusedVariables: a compile-time check, never referenced: tsc fails here if the two drift apart
type SchemaCheck = Assignable<ProofDocument, z.output<typeof documentSchema>>;
