/**
 * `atalaya verify <pack.zip>`: a DGA evidence pack (protocols/dga/evidence-manifest.ts) checked
 * without the relay: every file against the manifest's sha256, every proof offline (the record
 * hashes to its leaf, the path leads to the root), every reading of readings.json equal to the
 * record its proof states, and every batch root on chain (chain.ts, one check per distinct batch,
 * not per reading). Each failure names the file or the reading; readings the relay had not
 * anchored yet are listed as not_anchored, which does not fail the pack.
 */
import { isDeepStrictEqual } from 'node:util';
import { unzipSync } from 'fflate';
import { checkProofOffline, documentRecord, type ProofDocument, parseProofDocumentText } from '../../protocols/anchor/document.ts';
import { isAnchorError } from '../../protocols/anchor/errors.ts';
import { type EvidenceManifest, evidenceManifestSchema, MANIFEST_FILE, sha256Hex } from '../../protocols/dga/evidence-manifest.ts';
import { type ChainCheckOptions, checkOnChain } from './chain.ts';

export const PACK_FAILURES = [
  'malformed_pack',
  'file_altered',
  'file_missing',
  'file_unlisted',
  'malformed_proof',
  'record_altered',
  'proof_invalid',
  'reading_mismatch',
  'root_not_on_chain',
  'wrong_contract',
  'wrong_chain',
  'not_final',
  'rpc_unreachable',
] as const;
export type PackFailureReason = (typeof PACK_FAILURES)[number];

export interface PackFailure {
  readonly reason: PackFailureReason;
  /** The file in the pack, when one is to blame. */
  readonly file?: string;
  /** `<gateway>/<seq>`, when a reading is to blame. */
  readonly reading?: string;
  readonly detail: string;
}

export interface PackResult {
  readonly ok: boolean;
  readonly obra?: string;
  readonly period?: EvidenceManifest['period'];
  readonly manifestSha256?: string;
  readonly counts: { readonly files: number; readonly slots: number; readonly readings: number; readonly anchored: number; readonly batches: number };
  readonly notAnchored: readonly string[];
  readonly failures: readonly PackFailure[];
  readonly warnings: readonly string[];
}

const ZIP_MAGIC = [0x50, 0x4b, 0x03, 0x04];

export function isZip(data: Uint8Array): boolean {
  return ZIP_MAGIC.every((b, i) => data[i] === b);
}

/** 0 verified, 1 a named failure, 2 nothing concluded (unreadable pack, node unreachable). */
export function packExitCode(result: PackResult): 0 | 1 | 2 {
  if (result.failures.length === 0) return 0;
  const unconcluded = (r: PackFailureReason): boolean => r === 'malformed_pack' || r === 'rpc_unreachable';
  return result.failures.every((f) => unconcluded(f.reason)) ? 2 : 1;
}

const empty = { files: 0, slots: 0, readings: 0, anchored: 0, batches: 0 };

export async function verifyPack(data: Uint8Array, options: ChainCheckOptions): Promise<PackResult> {
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(data);
  } catch (err) {
    return {
      ok: false,
      counts: empty,
      notAnchored: [],
      failures: [{ reason: 'malformed_pack', detail: `not a readable zip: ${(err as Error).message}` }],
      warnings: [],
    };
  }
  const manifestBytes = entries[MANIFEST_FILE];
  if (manifestBytes === undefined)
    return {
      ok: false,
      counts: empty,
      notAnchored: [],
      failures: [{ reason: 'malformed_pack', file: MANIFEST_FILE, detail: 'the pack has no manifest.json' }],
      warnings: [],
    };
  let manifest: EvidenceManifest;
  try {
    manifest = evidenceManifestSchema.parse(JSON.parse(Buffer.from(manifestBytes).toString('utf8')));
  } catch (err) {
    return {
      ok: false,
      counts: empty,
      notAnchored: [],
      failures: [
        { reason: 'malformed_pack', file: MANIFEST_FILE, detail: `manifest.json is not a valid manifest (altered?): ${(err as Error).message.split('\n')[0]}` },
      ],
      warnings: [],
    };
  }
  const failures: PackFailure[] = [];
  const warnings: string[] = [];

  // 1. Every file against the manifest, and no file the manifest does not list.
  const listed = new Set<string>();
  for (const f of manifest.files) {
    listed.add(f.path);
    const bytes = entries[f.path];
    if (bytes === undefined) failures.push({ reason: 'file_missing', file: f.path, detail: 'listed in manifest.json, absent from the pack' });
    else {
      const got = sha256Hex(bytes);
      if (got !== f.sha256)
        failures.push({
          reason: 'file_altered',
          file: f.path,
          detail: `sha256 ${got}, manifest.json says ${f.sha256} (the file or manifest.json was altered)`,
        });
    }
  }
  for (const path of Object.keys(entries)) {
    if (path !== MANIFEST_FILE && !path.endsWith('/') && !listed.has(path))
      failures.push({ reason: 'file_unlisted', file: path, detail: 'in the pack but not in manifest.json' });
  }

  // 2. Each proof offline, and each reading equal to what its proof states.
  const readingsOf = new Map<string, unknown[]>();
  const stated = (slot: string): unknown[] => {
    let list = readingsOf.get(slot);
    if (list === undefined) {
      try {
        const bytes = entries[`${slot}/readings.json`];
        list = bytes === undefined ? [] : (JSON.parse(Buffer.from(bytes).toString('utf8')) as unknown[]);
      } catch {
        list = [];
        failures.push({ reason: 'malformed_pack', file: `${slot}/readings.json`, detail: 'not valid JSON (altered?)' });
      }
      readingsOf.set(slot, list);
    }
    return list;
  };
  const batches = new Map<string, { doc: ProofDocument; readings: string[] }>();
  const notAnchored: string[] = [];
  let anchored = 0;
  for (const r of manifest.readings) {
    const name = `${r.gateway}/${r.seq}`;
    if (r.status === 'not_anchored' || r.proof === null) {
      notAnchored.push(name);
      continue;
    }
    const bytes = entries[r.proof];
    if (bytes === undefined) continue; // already reported as file_missing
    let doc: ProofDocument;
    try {
      doc = parseProofDocumentText(Buffer.from(bytes).toString('utf8'));
    } catch (err) {
      if (!isAnchorError(err)) throw err;
      failures.push({ reason: 'malformed_proof', file: r.proof, reading: name, detail: String(err.details?.['reason'] ?? err.message) });
      continue;
    }
    const { gateway, record } = documentRecord(doc);
    if (gateway !== r.gateway || record.seq !== r.seq) {
      failures.push({ reason: 'reading_mismatch', file: r.proof, reading: name, detail: `the proof is for ${gateway}/${record.seq}` });
      continue;
    }
    const offline = checkProofOffline(doc);
    if (!offline.ok) {
      failures.push({ reason: offline.reason, file: r.proof, reading: name, detail: offline.detail });
      continue;
    }
    const inReadings = stated(r.slot).find((x) => (x as { gateway?: unknown; seq?: unknown }).gateway === r.gateway && (x as { seq?: unknown }).seq === r.seq);
    if (inReadings === undefined || !isDeepStrictEqual(inReadings, doc.record)) {
      failures.push({
        reason: 'reading_mismatch',
        file: `${r.slot}/readings.json`,
        reading: name,
        detail: inReadings === undefined ? 'absent from readings.json' : 'readings.json states other values than the anchored record',
      });
      continue;
    }
    anchored++;
    const key = [doc.anchor.chainId, doc.anchor.contract.toLowerCase(), doc.anchor.txHash, doc.batch.root, doc.batch.treeSize].join('|');
    const batch = batches.get(key);
    if (batch === undefined) batches.set(key, { doc, readings: [name] });
    else batch.readings.push(name);
  }

  // 3. Each distinct batch root on chain: one check per batch.
  for (const { doc, readings } of batches.values()) {
    const chain = await checkOnChain(doc, options);
    warnings.push(...chain.warnings);
    if (!chain.ok) {
      const shown = readings.length > 3 ? `${readings.slice(0, 3).join(', ')} and ${readings.length - 3} more` : readings.join(', ');
      failures.push({ reason: chain.reason as PackFailureReason, reading: readings[0]!, detail: `batch ${doc.batch.id} (readings ${shown}): ${chain.detail}` });
    }
  }
  if (options.contract === undefined && batches.size > 0)
    warnings.push('the contract was not pinned: pass the address the operator published with --contract.');

  return {
    ok: failures.length === 0,
    obra: manifest.obra.code,
    period: manifest.period,
    manifestSha256: sha256Hex(manifestBytes),
    counts: { files: manifest.files.length, slots: manifest.slots.length, readings: manifest.readings.length, anchored, batches: batches.size },
    notAnchored,
    failures,
    warnings,
  };
}

export function packReport(r: PackResult): string {
  const lines: string[] = [];
  const code = packExitCode(r);
  const what = r.obra === undefined ? 'the pack' : `the evidence pack of ${r.obra} (${r.period?.from} – ${r.period?.to})`;
  lines.push(code === 0 ? `VERIFIED: ${what}` : code === 2 ? `CANNOT VERIFY: ${what}` : `NOT VERIFIED: ${what}`);
  if (r.manifestSha256 !== undefined) {
    const c = r.counts;
    lines.push('', `  files        ${c.files} checked against manifest.json (sha256 ${r.manifestSha256})`);
    lines.push(`  slots        ${c.slots}`);
    lines.push(
      `  readings     ${c.readings}: ${c.anchored} with a valid proof, in ${c.batches} batch(es) checked on chain; ${r.notAnchored.length} not_anchored`,
    );
  }
  if (r.failures.length > 0) {
    lines.push('');
    for (const f of r.failures)
      lines.push(`  ${f.reason}${f.file === undefined ? '' : ` ${f.file}`}${f.reading === undefined ? '' : ` [reading ${f.reading}]`}: ${f.detail}`);
  }
  if (r.notAnchored.length > 0) {
    const shown =
      r.notAnchored.length > 20
        ? `${r.notAnchored.slice(0, 20).join(', ')} and ${r.notAnchored.length - 20} more (--json lists them all)`
        : r.notAnchored.join(', ');
    lines.push('', `not_anchored (not yet anchored by the relay; not a failure): ${shown}`);
  }
  if (r.warnings.length > 0) lines.push('', ...[...new Set(r.warnings)].map((w) => `warning: ${w}`));
  return `${lines.join('\n')}\n`;
}
