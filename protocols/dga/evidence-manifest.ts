/**
 * The manifest of a DGA inspection evidence pack (issue 14 §4): what the zip holds and the sha256
 * of every other file in it, so an inspector can check the pack without the relay's database
 * (cli/verify/pack.ts). Written by cloud/dga/evidence.ts, read strictly here.
 *
 * Layout of the zip, in this order (the same inputs give the same bytes):
 *
 *   manifest.json                        this document
 *   README.txt                           how to check the pack, Spanish and English
 *   slots/<dir>/sent.json                each request as sent to DGA (password redacted)
 *   slots/<dir>/answer.json              the slot's state, DGA's receipt and answers
 *   slots/<dir>/audit.json               the slot's append-only audit rows
 *   slots/<dir>/readings.json            the records behind it, as their proofs state them
 *   slots/<dir>/readings.csv             the same records as CSV (cloud/dga/csv.ts columns)
 *   slots/<dir>/proofs/<gw>-<seq>.json   each anchored record's proof (protocols/anchor/document.ts)
 *
 * `<dir>` is the slot on DGA's UTC-4 clock, `YYYY-MM-DDTHHMM` (no colons, which some unzip tools refuse).
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { toDgaDateTime } from './time.ts';

export const EVIDENCE_FORMAT = 'atalaya-dga-evidence';
export const EVIDENCE_VERSION = 1;
export const MANIFEST_FILE = 'manifest.json';
export const README_FILE = 'README.txt';

const hex64 = z.string().regex(/^[0-9a-f]{64}$/);

export const evidenceManifestSchema = z.strictObject({
  format: z.literal(EVIDENCE_FORMAT),
  version: z.literal(EVIDENCE_VERSION),
  obra: z.strictObject({
    code: z.string(),
    kind: z.string(),
    standard: z.string(),
    gateway: z.string(),
    device: z.string(),
    channels: z.record(z.string(), z.string()),
  }),
  /** ISO 8601 UTC; slots in [from, to). */
  period: z.strictObject({ from: z.string(), to: z.string() }),
  generatedAt: z.string(),
  relayVersion: z.string(),
  /** Where the records' roots are anchored; null when anchoring is off at the relay. */
  anchoring: z.strictObject({ chainId: z.number().int(), contract: z.string() }).nullable(),
  slots: z.array(
    z.strictObject({
      slot: z.string(),
      dir: z.string(),
      state: z.string(),
      receipt: z.string().nullable(),
      readings: z.number().int(),
    }),
  ),
  readings: z.array(
    z.strictObject({
      gateway: z.string(),
      seq: z.number().int(),
      slot: z.string(),
      /** `anchored`: its proof is in the pack; `not_anchored`: the relay has not anchored it yet. */
      status: z.enum(['anchored', 'not_anchored']),
      proof: z.string().nullable(),
    }),
  ),
  /** Every file but manifest.json, README.txt first, in the zip's order. */
  files: z.array(z.strictObject({ path: z.string(), sha256: hex64, bytes: z.number().int().nonnegative() })),
});

export type EvidenceManifest = z.output<typeof evidenceManifestSchema>;

export function sha256Hex(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** `2026-01-30T1000`: the slot on DGA's UTC-4 clock, as a folder name. */
export function slotDir(slot: number): string {
  const t = toDgaDateTime(slot);
  return `${t.date}T${t.hour.slice(0, 2)}${t.hour.slice(3, 5)}`;
}
