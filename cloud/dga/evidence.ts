/**
 * The DGA inspection evidence pack (issue 14 §4): one zip per obra and period that an inspector or
 * an auditor checks without the relay's database (`atalaya verify pack.zip`, cli/verify/pack.ts).
 * For each slot: the requests as sent, DGA's answers and receipt, the audit trail, the records
 * within ±toleranceMs of the slot (what its derivation looked at) and each record's anchoring
 * proof; a README and a manifest with the sha256 of every file (protocols/dga/evidence-manifest.ts).
 *
 * Deterministic: files in a fixed order, every mtime the generation time, JSON in a fixed layout;
 * the same database, period and clock give the same bytes. Read-only: it writes nothing anywhere.
 */
import { readFileSync } from 'node:fs';
import { type Zippable, zipSync } from 'fflate';
import { serializeProofDocument } from '../../protocols/anchor/document.ts';
import type { ProofDocument } from '../../protocols/anchor/index.ts';
import type { Clock } from '../../protocols/clock.ts';
import { EVIDENCE_FORMAT, EVIDENCE_VERSION, type EvidenceManifest, MANIFEST_FILE, README_FILE, sha256Hex, slotDir } from '../../protocols/dga/index.ts';
import { isAtalayaError } from '../../protocols/errors.ts';
import type { StoredRecord } from '../../protocols/records.ts';
import { PROOF_NOT_ANCHORED, PROOF_NOT_FOUND } from '../anchor/errors.ts';
import type { DgaAuditEntry, DgaStore, DgaSubmission } from '../store/dga-types.ts';
import type { RelayRecord, RelayStore } from '../store/types.ts';
import type { DgaConfig, DgaObraConfig } from './config.ts';
import { readingCsvLine, readingsCsvHeader } from './csv.ts';
import { unknownObra } from './errors.ts';
import { evidenceReadme } from './evidence-readme.ts';

const PAGE = 10_000;
const SLOT_PAGE = 1000;

export interface EvidenceDeps {
  readonly config: DgaConfig;
  readonly records: RelayStore;
  readonly queue: DgaStore;
  /** The record's proof document; throws ATALAYA_ANCHOR_PROOF_NOT_ANCHORED / _NOT_FOUND when there is none. Absent: anchoring is off. */
  readonly proof?: (gateway: string, seq: number) => Promise<ProofDocument>;
  /** The relay's anchoring chain and contract, null when anchoring is off. */
  readonly anchoring: { readonly chainId: number; readonly contract: string } | null;
  readonly clock: Clock;
  /** Default: the version in package.json. */
  readonly relayVersion?: string;
}

export interface EvidencePack {
  readonly zip: Uint8Array;
  readonly manifest: EvidenceManifest;
  /** sha256 of manifest.json: publish it beside the pack to pin the manifest itself. */
  readonly manifestSha256: string;
}

export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
  return pkg.version ?? 'unknown';
}

const json = (value: unknown): Uint8Array => Buffer.from(`${JSON.stringify(value, null, 2)}\n`);

/** The record fields a proof document states (protocols/anchor/document.ts), so readings.json compares with the proofs. */
function provedFields(r: RelayRecord): { gateway: string } & StoredRecord {
  const base = {
    gateway: r.gateway,
    seq: r.seq,
    kind: r.kind,
    device: r.device,
    channel: r.channel,
    value: r.value === 0 ? 0 : r.value,
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
  return a === undefined || a === null ? base : { ...base, alarm: { rule: a.rule, level: a.level, state: a.state, threshold: a.threshold } };
}

function auditLine(e: DgaAuditEntry): Record<string, unknown> {
  return {
    id: e.id,
    attempt: e.attempt,
    phase: e.phase,
    at: new Date(e.at).toISOString(),
    instance: e.instance,
    interface: e.iface,
    request: e.request ?? null,
    outcome: e.outcome,
    httpStatus: e.httpStatus,
    message: e.message,
    receipt: e.receipt,
    // Who acted, for a person's review (docs/dga.md#review-before-sending); null for the relay's lines.
    actor: e.actor ?? null,
  };
}

function answer(s: DgaSubmission, audit: readonly DgaAuditEntry[]): Record<string, unknown> {
  const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());
  return {
    obra: s.obra,
    slot: new Date(s.slot).toISOString(),
    state: s.state,
    receipt: s.receipt,
    lastOutcome: s.lastOutcome,
    lastMessage: s.lastMessage,
    lastHttpStatus: s.lastHttpStatus,
    attempts: s.attempts,
    acceptedAt: iso(s.acceptedAt),
    verification: s.verification,
    missingReason: s.missingReason,
    measurement: s.measurement,
    // A correction made in review is what was sent; `measurement` stays as derived from the readings.
    corrected: s.corrected,
    review: s.reviewAction === null ? null : { action: s.reviewAction, by: s.reviewedBy, at: iso(s.reviewedAt), reason: s.reviewReason, findings: s.findings },
    answers: audit.filter((e) => e.phase !== 'request').map(auditLine),
  };
}

export class EvidenceBuilder {
  constructor(private readonly deps: EvidenceDeps) {}

  async build(code: string, from: number, to: number): Promise<EvidencePack> {
    const { config, queue, clock } = this.deps;
    const obra = config.obras.find((o) => o.code === code);
    if (obra === undefined) throw unknownObra(code);
    const generatedAt = clock.now();
    const submissions = await this.submissions(code, from, to);
    const byChannel = await this.records(obra, from - config.toleranceMs, to + config.toleranceMs);

    const files: Array<[string, Uint8Array]> = [];
    const slots: EvidenceManifest['slots'] = [];
    const readings: EvidenceManifest['readings'] = [];
    for (const s of submissions) {
      const dir = `slots/${slotDir(s.slot)}`;
      const audit = await queue.audit(code, s.slot);
      const near = byChannel.filter((r) => Math.abs((r.tsCorrected ?? r.ts) - s.slot) <= config.toleranceMs);
      files.push([`${dir}/sent.json`, json(audit.filter((e) => e.phase === 'request').map(auditLine))]);
      files.push([`${dir}/answer.json`, json(answer(s, audit))]);
      files.push([`${dir}/audit.json`, json(audit.map(auditLine))]);
      files.push([`${dir}/readings.json`, json(near.map(provedFields))]);
      files.push([`${dir}/readings.csv`, Buffer.from(readingsCsvHeader() + near.map(readingCsvLine).join(''))]);
      for (const r of near) {
        const doc = await this.proof(r);
        const path = `${dir}/proofs/${r.gateway}-${r.seq}.json`;
        if (doc !== undefined) files.push([path, Buffer.from(serializeProofDocument(doc))]);
        readings.push({
          gateway: r.gateway,
          seq: r.seq,
          slot: dir,
          status: doc === undefined ? 'not_anchored' : 'anchored',
          proof: doc === undefined ? null : path,
        });
      }
      slots.push({ slot: new Date(s.slot).toISOString(), dir, state: s.state, receipt: s.receipt, readings: near.length });
    }

    const described: EvidenceManifest = {
      format: EVIDENCE_FORMAT,
      version: EVIDENCE_VERSION,
      obra: {
        code,
        kind: obra.kind,
        standard: obra.standard,
        gateway: obra.gateway,
        device: obra.device,
        channels: { ...obra.channels } as Record<string, string>,
      },
      period: { from: new Date(from).toISOString(), to: new Date(to).toISOString() },
      generatedAt: new Date(generatedAt).toISOString(),
      relayVersion: this.deps.relayVersion ?? packageVersion(),
      anchoring: this.deps.anchoring,
      slots,
      readings,
      files: [],
    };
    // The README says what the manifest says (not its file list), so it is listed and hashed too.
    files.unshift([README_FILE, Buffer.from(evidenceReadme(described))]);
    const manifest: EvidenceManifest = { ...described, files: files.map(([path, data]) => ({ path, sha256: sha256Hex(data), bytes: data.length })) };
    const manifestBytes = json(manifest);
    const mtime = new Date(generatedAt);
    const entries: Zippable = {};
    entries[MANIFEST_FILE] = [manifestBytes, { mtime }];
    for (const [path, data] of files) entries[path] = [data, { mtime }];
    return { zip: zipSync(entries, { level: 6 }), manifest, manifestSha256: sha256Hex(manifestBytes) };
  }

  /** The obra's slots in [from, to), oldest first. */
  private async submissions(code: string, from: number, to: number): Promise<DgaSubmission[]> {
    const out: DgaSubmission[] = [];
    let before = to;
    for (;;) {
      const page = await this.deps.queue.submissions(code, { limit: SLOT_PAGE, before });
      for (const s of page) if (s.slot >= from) out.push(s);
      const last = page[page.length - 1];
      if (page.length < SLOT_PAGE || last === undefined || last.slot < from) break;
      before = last.slot;
    }
    return out.reverse();
  }

  /** The records of the obra's channels in [from, to], by time. */
  private async records(obra: DgaObraConfig, from: number, to: number): Promise<RelayRecord[]> {
    const out: RelayRecord[] = [];
    for (const channel of new Set(Object.values(obra.channels).filter((c): c is string => c !== undefined))) {
      let cursor: string | undefined;
      do {
        const page = await this.deps.records.queryRecords({
          gateway: obra.gateway,
          device: obra.device,
          channel,
          kind: 'reading',
          from,
          to: to + 1,
          limit: PAGE,
          ...(cursor === undefined ? {} : { cursor }),
        });
        out.push(...page.items);
        cursor = page.next ?? undefined;
      } while (cursor !== undefined);
    }
    return out.sort((a, b) => (a.tsCorrected ?? a.ts) - (b.tsCorrected ?? b.ts) || a.seq - b.seq);
  }

  private async proof(r: RelayRecord): Promise<ProofDocument | undefined> {
    if (this.deps.proof === undefined) return undefined;
    try {
      return await this.deps.proof(r.gateway, r.seq);
    } catch (err) {
      if (isAtalayaError(err, PROOF_NOT_ANCHORED) || isAtalayaError(err, PROOF_NOT_FOUND)) return undefined;
      throw err;
    }
  }
}
