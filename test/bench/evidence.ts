/**
 * The DGA inspection evidence pack (issue 14 §4) for one obra × one year: 8,760 hourly slots, each
 * accepted by DGA with its request and answer audited, behind two readings (flow and totalizer at
 * the slot) anchored in 365 daily batches. The data is written straight into a relay SQLite
 * database through the stores (the fast path: no HTTP, no chain; the batches are marked mined with
 * made-up transaction data, which the pack copies but does not check). Then the pack is built as
 * `GET /v1/dga/<obra>/evidence.zip` builds it; time and size are printed, and the offline part of
 * `atalaya verify` (hashes, proofs, readings; no node) is timed on it.
 * Prints, asserts nothing. Run: node bin/run-ts.mjs test/bench/evidence.ts
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { unzipSync } from 'fflate';
import { pino } from 'pino';
import { treeOfBatch } from '../../cloud/anchor/batcher.ts';
import { ProofService } from '../../cloud/anchor/proofs.ts';
import { dgaConfigSchema } from '../../cloud/dga/config.ts';
import { EvidenceBuilder } from '../../cloud/dga/evidence.ts';
import { createRelayDatabase } from '../../cloud/store/index.ts';
import { checkProofOffline, parseProofDocumentText } from '../../protocols/anchor/document.ts';
import { root } from '../../protocols/anchor/index.ts';
import { evidenceManifestSchema, sha256Hex } from '../../protocols/dga/index.ts';
import { fmt, machineLine, out } from './common.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const SLOTS = 8760;
/** 2025-01-01 00:00 on DGA's fixed UTC-4 clock. */
const YEAR0 = Date.UTC(2025, 0, 1, 4, 0, 0);
const OBRA = 'OB-0602-7';
const GATEWAY = 'gw-1';
const BOOT = '5f1c2e0a-1b2c-4d5e-8f90-a1b2c3d4e5f6';
const CONTRACT = '0x5FbDB2315678afecb367f032d93F642f64180aa3';
const silent = pino({ level: 'silent' });
const hex = (s: string): string => createHash('sha256').update(s).digest('hex');

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atalaya-bench-evidence-'));
const database = createRelayDatabase({ kind: 'sqlite', path: path.join(dir, 'relay.db') }, silent);
try {
  await database.start();
  const { records, dga, anchor } = database;
  const config = dgaConfigSchema.parse({
    obras: [
      {
        code: OBRA,
        kind: 'superficial-flujometro',
        gateway: GATEWAY,
        device: 'canal',
        startAt: new Date(YEAR0).toISOString(),
        channels: { flow: 'flow', totalizer: 'totalizer' },
      },
    ],
  });
  const setup = performance.now();
  await records.addGateway(GATEWAY, 'sealed', YEAR0);
  await dga.ensureObra(OBRA, YEAR0);
  let seq = 0;
  let nonce = 0;
  for (let day = 0; day < SLOTS / 24; day++) {
    const dayStart = YEAR0 + day * DAY;
    const batch = [];
    for (let h = 0; h < 24; h++) {
      const t = dayStart + h * HOUR;
      const total = 1000 + (day * 24 + h) * 45;
      for (const [channel, value, unit] of [
        ['flow', 12.5, 'L/s'],
        ['totalizer', total, 'm3'],
      ] as const) {
        const n = ++seq;
        batch.push({
          gateway: GATEWAY,
          seq: n,
          kind: 'reading' as const,
          device: 'canal',
          channel,
          value,
          unit,
          quality: 'good' as const,
          exception: null,
          ts: t,
          tsCorrected: null,
          mono: n,
          bootId: BOOT,
          priority: 1 as const,
          flags: 0,
          hash: hex(`${n}`),
        });
      }
    }
    await records.ingest({ gateway: GATEWAY, records: batch, now: dayStart + 1000, clockOffsetMs: 0 });
    // The day's batch, anchored (as the daily schedule does), its transaction made up.
    const claimed = await anchor.claimBatch({ periodStart: dayStart, periodEnd: dayStart + DAY, now: dayStart + DAY });
    if (claimed === undefined) throw new Error(`day ${day}: nothing to anchor`);
    await anchor.setBatchRoot(claimed.id, root(await treeOfBatch(anchor, claimed.id)).toString('hex'), dayStart + DAY);
    const txHash = `0x${hex(`tx${claimed.id}`)}`;
    const tx = await anchor.recordSigned({
      batchId: claimed.id,
      chainId: 31337,
      sender: '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266',
      chainNonce: nonce++,
      now: dayStart + DAY,
      sign: async (n) => ({ hash: txHash, raw: '0x00', nonce: n, maxFeePerGas: '1', maxPriorityFeePerGas: '1' }),
    });
    await anchor.markMined(
      tx!.id,
      {
        blockNumber: 100 + day,
        blockHash: `0x${hex(`block${day}`)}`,
        blockTime: dayStart + DAY + 12_000,
        gasUsed: 23_000,
        effectiveGasPrice: '1',
        receipt: '{}',
        block: '{}',
      },
      dayStart + DAY,
    );
    for (let h = 0; h < 24; h++) {
      const slot = dayStart + h * HOUR;
      const total = 1000 + (day * 24 + h) * 45;
      await dga.putSlot({ obra: OBRA, slot, kind: 'superficial-flujometro', measurement: { caudal: 12.5, totalizador: total } as never }, slot + 60_000);
      const claim = await dga.claimNext(OBRA, slot + 120_000, 0, 'bench');
      if (claim.kind !== 'claimed') throw new Error(`slot ${slot}: ${claim.kind}`);
      const request = { method: 'POST', path: '/superficial', body: { caudal: '12.50', totalizador: String(total) }, password: '[redacted]' };
      await dga.appendAudit({
        obra: OBRA,
        slot,
        attempt: 1,
        phase: 'request',
        at: slot + 120_000,
        instance: 'bench',
        iface: 'rest',
        request,
        outcome: null,
        httpStatus: null,
        message: null,
        receipt: null,
      });
      const receipt = hex(`r${slot}`).slice(0, 32).toUpperCase();
      await dga.finish(
        {
          obra: OBRA,
          slot,
          claimedBy: 'bench',
          state: 'accepted',
          outcome: 'accepted',
          message: 'OK',
          httpStatus: 200,
          receipt,
          nextAttemptAt: null,
          now: slot + 121_000,
        },
        {
          obra: OBRA,
          slot,
          attempt: 1,
          phase: 'outcome',
          at: slot + 121_000,
          instance: 'bench',
          iface: 'rest',
          request: null,
          outcome: 'accepted',
          httpStatus: 200,
          message: 'OK',
          receipt,
        },
      );
    }
  }
  const setupS = (performance.now() - setup) / 1000;

  const proofs = new ProofService({ store: anchor, chainId: 31337, contract: CONTRACT, confirmations: 12 });
  const builder = new EvidenceBuilder({
    config,
    records,
    queue: dga,
    anchoring: { chainId: 31337, contract: CONTRACT },
    clock: { now: () => YEAR0 + 366 * DAY, monotonic: () => 0 },
    proof: (g, s) => proofs.proof(g, s),
    relayVersion: 'bench',
  });
  const t0 = performance.now();
  const pack = await builder.build(OBRA, YEAR0, YEAR0 + SLOTS * HOUR);
  const buildS = (performance.now() - t0) / 1000;

  // The offline half of `atalaya verify pack.zip`: unzip, every hash, every proof, no node.
  const t1 = performance.now();
  const files = unzipSync(pack.zip);
  const manifest = evidenceManifestSchema.parse(JSON.parse(Buffer.from(files['manifest.json']!).toString('utf8')));
  let bad = 0;
  for (const f of manifest.files) if (sha256Hex(files[f.path]!) !== f.sha256) bad++;
  for (const r of manifest.readings)
    if (r.proof !== null && !checkProofOffline(parseProofDocumentText(Buffer.from(files[r.proof]!).toString('utf8'))).ok) bad++;
  const verifyS = (performance.now() - t1) / 1000;

  const unpacked = manifest.files.reduce((sum, f) => sum + f.bytes, 0);
  out(`data: ${fmt(SLOTS)} slots, ${fmt(seq)} readings in ${fmt(SLOTS / 24)} anchored daily batches, written in ${fmt(setupS, 1)} s (setup, not the figure)`);
  out(
    `evidence pack, one obra × one year: built in ${fmt(buildS, 1)} s (${fmt(SLOTS / buildS)} slots/s), ${fmt(pack.zip.length / 2 ** 20, 1)} MiB zip (${fmt(unpacked / 2 ** 20, 1)} MiB unpacked, ${fmt(manifest.files.length)} files, manifest ${fmt(files['manifest.json']!.length / 2 ** 20, 1)} MiB)`,
  );
  out(
    `verify offline (hashes + ${fmt(manifest.readings.length)} proofs, no node): ${fmt(verifyS, 1)} s, ${bad} failures; on chain it adds one check per batch (${fmt(SLOTS / 24)})`,
  );
  out(machineLine());
} finally {
  await database.stop();
  fs.rmSync(dir, { recursive: true, force: true });
}
