/**
 * The DGA inspection evidence pack (issue 14 §4) end to end on real parts: a relay with DGA and
 * anchoring on, the DGA double, a real anvil node; a simulated obra's day of readings is reported,
 * anchored, packed (GET /v1/dga/<obra>/evidence.zip, the dashboard's download) and checked by a
 * spawned `atalaya verify`. Altering one byte of a reading, a receipt or the manifest makes it name
 * what fails.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { strFromU8, strToU8, unzipSync, type Zippable, zipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ANVIL_DEV_KEYS } from '../../simulators/chain/anvil.ts';
import { cleanEnv, runAtalaya, writeRelayConfig } from '../helpers/relay-process.ts';
import { anchorSection, mine, startChain, type TestChain } from './anchor-setup.ts';
import { type Bench, HOUR, MINUTE, readingsEvery10Min, startBench } from './relay-dga-setup.ts';

const DAY0 = Date.parse('2026-01-30T00:00:00-04:00');
const OBRA = {
  code: 'OB-0602-7',
  kind: 'superficial-flujometro',
  gateway: 'gw-1',
  device: 'pozo-1',
  startAt: '2026-01-30T00:00:00-04:00',
  channels: { flow: 'flow', totalizer: 'totalizer' },
  waterRight: { flowLps: 20, annualM3: 100_000 },
};

let chain: TestChain;
let bench: Bench;
let dir: string;
let pack: Uint8Array;
let manifestSha: string | null;

/** 12.5 L/s; the totalizer integrates it (0.75 m³ a minute). */
const values = (t: number): { flow: number; totalizer: number } => ({ flow: 12.5, totalizer: 1000 + ((t - DAY0) / MINUTE) * 0.75 });

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atalaya-evidence-'));
  chain = await startChain();
  bench = await startBench({
    start: DAY0,
    obras: [OBRA],
    dga: { spacingMs: 0 },
    storage: { kind: 'sqlite', path: path.join(dir, 'relay.db') },
    anchor: anchorSection(chain),
    env: { ATALAYA_ANCHOR_KEY: ANVIL_DEV_KEYS[0] },
  });
  // The day's readings up to 22:10 arrive and are anchored; the last ones arrive after the cut.
  await bench.ingest(readingsEvery10Min(DAY0 - 10 * MINUTE, DAY0 + 22 * HOUR + 20 * MINUTE, values));
  const anchor = bench.relay.anchor!;
  // A batch takes what was received before the cut's instant.
  bench.clock.t += 1;
  const batch = await anchor.cut();
  for (let i = 0; i < 20 && (await anchor.batch(batch!.id))?.batch.status !== 'confirmed'; i++) {
    await mine(chain);
    await anchor.tick();
  }
  expect((await anchor.batch(batch!.id))?.batch.status).toBe('confirmed');
  await bench.ingest(readingsEvery10Min(DAY0 + 22 * HOUR + 20 * MINUTE, DAY0 + 24 * HOUR + 20 * MINUTE, values));
  // Report the day: ticks every 5 minutes until a quarter past midnight.
  for (let t = DAY0; t <= DAY0 + 24 * HOUR + 15 * MINUTE; t += 5 * MINUTE) {
    bench.clock.t = t;
    await bench.dga.tick();
  }
  // The day's 24 hours and midnight of the next.
  expect(bench.sim.measurements(OBRA.code)).toHaveLength(25);

  const q = `from=${DAY0}&to=${DAY0 + 24 * HOUR}`;
  const res = await fetch(`${bench.url}/v1/dga/${OBRA.code}/evidence.zip?${q}`, { headers: { authorization: `Bearer ${bench.token}` } });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('application/zip');
  manifestSha = res.headers.get('x-manifest-sha256');
  pack = new Uint8Array(await res.arrayBuffer());
}, 120_000);

afterAll(async () => {
  await bench?.stop();
  await chain?.stop();
  if (dir !== undefined) fs.rmSync(dir, { recursive: true, force: true });
});

async function verify(
  bytes: Uint8Array,
  name: string,
): Promise<{
  status: number | null;
  result: {
    ok: boolean;
    failures: Array<{ reason: string; file?: string; reading?: string }>;
    notAnchored: string[];
    counts: Record<string, number>;
    manifestSha256: string;
  };
}> {
  const file = path.join(dir, name);
  fs.writeFileSync(file, bytes);
  const r = await runAtalaya(['verify', file, '--rpc', chain.anvil.url, '--contract', chain.contract, '--json'], cleanEnv());
  return { status: r.status, result: JSON.parse(r.stdout || '{}') };
}

/** The pack with one file changed by `edit`, rezipped. */
function altered(edit: (files: Record<string, Uint8Array>) => void): Uint8Array {
  const files = unzipSync(pack);
  edit(files);
  const out: Zippable = {};
  for (const [p, data] of Object.entries(files)) out[p] = data;
  return zipSync(out);
}

/** Flips one digit of the text at `at` (a byte, kept printable). */
function flipByte(data: Uint8Array, at: number): Uint8Array {
  const copy = Uint8Array.from(data);
  copy[at] = copy[at] === 0x31 ? 0x32 : 0x31;
  return copy;
}

describe('DGA inspection evidence pack', () => {
  it("holds each slot's request, answer, audit, readings and proofs, and verifies against the node", async () => {
    const files = unzipSync(pack);
    const manifest = JSON.parse(strFromU8(files['manifest.json']!)) as {
      slots: Array<{ dir: string; state: string; receipt: string }>;
      readings: Array<{ status: string }>;
      anchoring: { contract: string };
    };
    expect(manifest.slots).toHaveLength(24);
    expect(manifest.slots[10]!.dir).toBe('slots/2026-01-30T1000');
    expect(manifest.slots.every((s) => s.state === 'accepted' && /^[A-Za-z0-9]{32}$/.test(s.receipt))).toBe(true);
    expect(manifest.anchoring.contract).toBe(chain.contract);
    const slot = 'slots/2026-01-30T1000';
    const sent = JSON.parse(strFromU8(files[`${slot}/sent.json`]!)) as Array<{ request: unknown }>;
    expect(JSON.stringify(sent[0]!.request)).not.toContain('secreto');
    expect(strFromU8(files[`${slot}/answer.json`]!)).toContain(manifest.slots[10]!.receipt);
    expect(strFromU8(files['README.txt']!)).toContain('atalaya verify');
    // ±5 minutes of 10:00 at one reading per channel every 10 minutes: 10:00 itself, flow and totalizer.
    expect(Object.keys(files).filter((p) => p.startsWith(`${slot}/proofs/`))).toHaveLength(2);

    const { status, result } = await verify(pack, 'pack.zip');
    expect(result.failures).toEqual([]);
    expect(status).toBe(0);
    expect(result.ok).toBe(true);
    expect(result.manifestSha256).toBe(manifestSha);
    expect(result.counts).toMatchObject({ slots: 24, anchored: 46, batches: 1 });
    // 23:00's two readings arrived after the cut: not anchored yet, listed, not a failure.
    expect(result.notAnchored).toHaveLength(2);
  });

  it('names an altered reading, an altered receipt and an altered manifest', async () => {
    const slot = 'slots/2026-01-30T1000';
    const reading = await verify(
      altered((f) => {
        const text = strFromU8(f[`${slot}/readings.json`]!);
        f[`${slot}/readings.json`] = strToU8(text.replace('"value": 12.5', '"value": 12.6'));
      }),
      'reading.zip',
    );
    expect(reading.status).toBe(1);
    expect(reading.result.failures).toEqual(expect.arrayContaining([expect.objectContaining({ reason: 'file_altered', file: `${slot}/readings.json` })]));
    expect(reading.result.failures).toEqual(expect.arrayContaining([expect.objectContaining({ reason: 'reading_mismatch', file: `${slot}/readings.json` })]));

    const proofFile = (f: Record<string, Uint8Array>): string => Object.keys(f).find((p) => p.startsWith(`${slot}/proofs/`))!;
    const proofRecord = await verify(
      altered((f) => {
        const p = proofFile(f);
        f[p] = strToU8(strFromU8(f[p]!).replace(/"value": [0-9.]+/, '"value": 1'));
      }),
      'proof.zip',
    );
    expect(proofRecord.status).toBe(1);
    expect(proofRecord.result.failures).toEqual(
      expect.arrayContaining([expect.objectContaining({ reason: 'record_altered', reading: expect.stringMatching(/^gw-1\/\d+$/) })]),
    );

    const receipt = await verify(
      altered((f) => {
        const bytes = f[`${slot}/answer.json`]!;
        const at = strFromU8(bytes).indexOf('"receipt": "') + 12;
        f[`${slot}/answer.json`] = flipByte(bytes, at);
      }),
      'receipt.zip',
    );
    expect(receipt.status).toBe(1);
    expect(receipt.result.failures).toEqual([expect.objectContaining({ reason: 'file_altered', file: `${slot}/answer.json` })]);

    const manifest = await verify(
      altered((f) => {
        const bytes = f['manifest.json']!;
        const at = strFromU8(bytes).indexOf('"sha256": "') + 11;
        f['manifest.json'] = flipByte(bytes, at);
      }),
      'manifest.zip',
    );
    expect(manifest.status).toBe(1);
    expect(manifest.result.failures).toEqual([expect.objectContaining({ reason: 'file_altered', file: 'README.txt' })]);
    expect(manifest.result.manifestSha256).not.toBe(manifestSha);

    const broken = await verify(
      altered((f) => {
        f['manifest.json'] = strToU8(strFromU8(f['manifest.json']!).replace('"format"', '"formaat"'));
      }),
      'broken.zip',
    );
    expect(broken.status).toBe(2);
    expect(broken.result.failures).toEqual([expect.objectContaining({ reason: 'malformed_pack', file: 'manifest.json' })]);
  });

  it("atalaya relay dga evidence writes the pack from the relay's database, and it verifies", async () => {
    const dga = `dga:\n  obras:\n    - ${JSON.stringify(OBRA)}\nanchor: ${JSON.stringify({ chainId: chain.anvil.chainId, contract: chain.contract, confirmations: 2 })}\n`;
    const { configFile } = writeRelayConfig(dir, { kind: 'sqlite', path: 'relay.db' }, dga);
    const out = path.join(dir, 'cli-pack.zip');
    const r = await runAtalaya(
      ['relay', 'dga', 'evidence', OBRA.code, '2026-01-30T00:00:00-04:00', '2026-01-30T12:00:00-04:00', '-c', configFile, '--out', out],
      cleanEnv(),
    );
    expect(r.stderr).toContain('12 slot(s), 24 reading(s) (0 not anchored yet)');
    expect(r.status).toBe(0);
    const { status, result } = await verify(fs.readFileSync(out), 'cli-pack-copy.zip');
    expect(result.failures).toEqual([]);
    expect(status).toBe(0);
    expect(result.counts).toMatchObject({ slots: 12, anchored: 24, batches: 1 });
    // Never overwritten.
    const again = await runAtalaya(['relay', 'dga', 'evidence', OBRA.code, '1769745600000', '1769788800000', '-c', configFile, '--out', out], cleanEnv());
    expect(again.status).toBe(1);
  });

  it('the same inputs give the same bytes', async () => {
    const q = `from=${DAY0}&to=${DAY0 + 24 * HOUR}`;
    const again = await fetch(`${bench.url}/v1/dga/${OBRA.code}/evidence.zip?${q}`, { headers: { authorization: `Bearer ${bench.token}` } });
    expect(Buffer.from(await again.arrayBuffer()).equals(Buffer.from(pack))).toBe(true);
  });
});
