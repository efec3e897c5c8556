/**
 * Ethereum anchoring (protocols/anchor, cloud/anchor/contract):
 * 1. Gas per anchor from real receipts: AtalayaAnchor deployed on a local anvil node, then 20
 *    anchor(root, batchId, treeSize) calls with random roots and batch ids / tree sizes from 1 to
 *    2^53 − 1 (calldata zero bytes cost 4 gas, others 16, so small numbers are cheaper). The aim
 *    is ≤ 25,000 gas a call (docs/anchoring.md#contract-and-gas: a storage write would be ~44,000).
 * 2. A 1,000,000-record tree: realistic records of 8 gateways (test/bench/sync-wire.ts: gas
 *    detectors and flowmeters at 1 Hz, seq order per gateway), leaf hashing (canonical encoding +
 *    SHA-256) timed apart from tree building, then every one of the 1,000,000 inclusion proofs,
 *    and peak memory.
 * 3. Inclusion proof sizes for 1,000 and 1,000,000 records, worst-case index: the audit path in
 *    binary (32 bytes a hash) and the JSON form a holder keeps (serializeInclusionProof).
 * Prints, asserts nothing. Run: node bin/run-ts.mjs test/bench/anchor.ts
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { JsonRpcProvider, Network, Wallet } from 'ethers';
import { anchorCallData } from '../../cloud/anchor/contract/abi.ts';
import { deployAnchorContract, waitForReceipt } from '../../cloud/anchor/contract/deploy.ts';
import { HASH_BYTES } from '../../protocols/anchor/hash.ts';
import { recordLeafHash } from '../../protocols/anchor/leaf.ts';
import { serializeInclusionProof, verifyInclusion } from '../../protocols/anchor/proof.ts';
import { auditPathLength, buildTreeFromLeafHashes, inclusionProof, leafHashAt, type MerkleTree, root } from '../../protocols/anchor/tree.ts';
import { ANVIL_DEV_KEYS, anvilBinary, startAnvil } from '../../simulators/chain/anvil.ts';
import { fmt, machineLine, out } from './common.ts';
import { realisticRecords } from './sync-wire.ts';

const AIM_GAS = 25_000;
const ANCHORS = 20;
const RECORDS = 1_000_000;
const GATEWAYS = 8;
const MiB = 2 ** 20;

const peak = { rss: 0, heapUsed: 0, external: 0 };
function sample(): void {
  const m = process.memoryUsage();
  peak.rss = Math.max(peak.rss, m.rss);
  peak.heapUsed = Math.max(peak.heapUsed, m.heapUsed);
  peak.external = Math.max(peak.external, m.external);
}

function memoryLine(label: string): void {
  sample();
  const m = process.memoryUsage();
  out(`  memory ${label}: rss ${fmt(m.rss / MiB)} MiB, heapUsed ${fmt(m.heapUsed / MiB)} MiB, external (Buffers) ${fmt(m.external / MiB)} MiB`);
}

const median = (xs: readonly bigint[]): bigint => [...xs].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))[Math.floor(xs.length / 2)] ?? 0n;

async function gas(): Promise<void> {
  out(`\n-- 1. gas per anchor: ${ANCHORS} anchor() calls on anvil, real receipts`);
  const version = spawnSync(anvilBinary(), ['--version'], { encoding: 'utf8' }).stdout.split('\n')[0] ?? '?';
  const node = await startAnvil();
  const provider = new JsonRpcProvider(node.url, Network.from(node.chainId), { staticNetwork: true, batchMaxCount: 1, cacheTimeout: -1 });
  try {
    const info = await node.rpc<{ hardFork?: string }>('anvil_nodeInfo');
    out(`node: ${version.trim()}, hardfork ${info.hardFork ?? '?'}`);
    const signer = new Wallet(ANVIL_DEV_KEYS[0], provider);
    let nonce = Number(await node.rpc<string>('eth_getTransactionCount', [signer.address, 'pending']));
    const deployed = await deployAnchorContract(signer, { nonce: nonce++, pollMs: 10 });
    out(`deployment: ${fmt(Number(deployed.gasUsed))} gas (once per relay key)`);

    const numbers = [1, 7, 255, 256, 1_000, 65_535, 1_000_000, 2 ** 32 - 1, 2 ** 32, 2 ** 53 - 1];
    const samples: { batchId: number; treeSize: number; gasUsed: bigint }[] = [];
    for (let i = 0; i < ANCHORS; i++) {
      const batchId = numbers[i % numbers.length]!;
      const treeSize = numbers[(i * 3 + 1) % numbers.length]!;
      const tx = await signer.sendTransaction({
        to: deployed.address,
        data: anchorCallData(randomBytes(32).toString('hex'), batchId, treeSize),
        nonce: nonce++,
      });
      const receipt = await waitForReceipt(provider, tx.hash, 30_000, 10);
      if (receipt.status !== 1 || receipt.logs.length !== 1) throw new Error(`anchor ${i} failed`);
      samples.push({ batchId, treeSize, gasUsed: receipt.gasUsed });
    }
    const gasUsed = samples.map((s) => s.gasUsed);
    const min = samples.reduce((a, b) => (b.gasUsed < a.gasUsed ? b : a));
    const max = samples.reduce((a, b) => (b.gasUsed > a.gasUsed ? b : a));
    const med = median(gasUsed);
    out(
      `gasUsed per anchor: min ${fmt(Number(min.gasUsed))} (batchId ${fmt(min.batchId)}, treeSize ${fmt(min.treeSize)}), median ${fmt(Number(med))}, max ${fmt(Number(max.gasUsed))} (batchId ${fmt(max.batchId)}, treeSize ${fmt(max.treeSize)})`,
    );
    const verdict = max.gasUsed <= BigInt(AIM_GAS) ? 'met' : 'NOT met';
    out(
      `aim ≤ ${fmt(AIM_GAS)} gas: ${verdict}; worst case ${fmt((100 * (AIM_GAS - Number(max.gasUsed))) / AIM_GAS, 1)} % below, median ${fmt((100 * (AIM_GAS - Number(med))) / AIM_GAS, 1)} % below (a storage write instead of a log: ~44,000)`,
    );
    for (const gwei of [1, 10, 50]) {
      const eth = (Number(med) * gwei) / 1e9;
      out(`  at ${gwei} gwei: ${eth.toFixed(6)} ETH per anchor, ${(eth * 24 * 365).toFixed(3)} ETH a year anchoring hourly`);
    }
  } finally {
    provider.destroy();
    await node.stop();
  }
}

/** The index with the longest audit path, the largest such index (most digits in JSON). */
function worstIndex(treeSize: number): number {
  let best = 0;
  let bestLength = -1;
  for (let i = 0; i < treeSize; i++) {
    const length = auditPathLength(i, treeSize);
    if (length >= bestLength) {
      bestLength = length;
      best = i;
    }
  }
  return best;
}

function proofSizes(tree: MerkleTree): void {
  out(`\n-- 3. inclusion proof size, worst-case index`);
  for (const size of [1_000, tree.size]) {
    const t = size === tree.size ? tree : buildTreeFromLeafHashes((tree.levels[0] as Buffer).subarray(0, size * HASH_BYTES));
    const index = worstIndex(size);
    const proof = inclusionProof(t, index);
    const json = Buffer.byteLength(serializeInclusionProof(proof));
    out(
      `${fmt(size)} records: index ${fmt(index)}, ${proof.path.length} path hashes = ${fmt(proof.path.length * HASH_BYTES)} bytes binary (+ 16 for index and treeSize), JSON ${fmt(json)} bytes`,
    );
  }
}

async function bigTree(): Promise<MerkleTree> {
  out(`\n-- 2. tree over ${fmt(RECORDS)} records (${GATEWAYS} gateways × ${fmt(RECORDS / GATEWAYS)}, realistic readings and alarms)`);
  memoryLine('before');
  const leaves = Buffer.allocUnsafe(RECORDS * HASH_BYTES);
  let generateMs = 0;
  let hashMs = 0;
  let n = 0;
  for (let g = 0; g < GATEWAYS; g++) {
    const gateway = `gw-pozo-${String(g + 1).padStart(2, '0')}`;
    const g0 = performance.now();
    // Leaf order is (gateway, seq): sync-wire lists alarms first.
    const records = realisticRecords(RECORDS / GATEWAYS, g + 1).sort((a, b) => a.seq - b.seq);
    const h0 = performance.now();
    generateMs += h0 - g0;
    for (const r of records) {
      const leaf = recordLeafHash(gateway, r);
      leaf.copy(leaves, n * HASH_BYTES);
      n++;
      if ((n & 0xffff) === 0) sample();
    }
    hashMs += performance.now() - h0;
    sample();
  }
  out(`records generated in ${fmt(generateMs / 1000, 2)} s, one gateway's ${fmt(RECORDS / GATEWAYS)} in memory at a time (setup, not the figure)`);
  out(`leaf hashing (canonical encoding + SHA-256(0x00 ‖ bytes)): ${fmt(hashMs / 1000, 2)} s → ${fmt(RECORDS / (hashMs / 1000))} leaves/s`);
  memoryLine('after hashing');

  const b0 = performance.now();
  const tree = buildTreeFromLeafHashes(leaves);
  const buildMs = performance.now() - b0;
  sample();
  out(
    `tree build over the leaf hashes (input copied): ${fmt(buildMs / 1000, 2)} s, ${tree.levels.length} levels, ${fmt(tree.levels.reduce((s, l) => s + l.length, 0) / MiB, 1)} MiB of hashes; root ${root(tree).toString('hex')}`,
  );
  memoryLine('after build');

  const p0 = performance.now();
  let pathHashes = 0;
  for (let i = 0; i < tree.size; i++) {
    pathHashes += inclusionProof(tree, i).path.length;
    if ((i & 0xffff) === 0) sample();
  }
  const proofMs = performance.now() - p0;
  out(
    `all ${fmt(tree.size)} inclusion proofs: ${fmt(proofMs / 1000, 2)} s → ${fmt(tree.size / (proofMs / 1000))} proofs/s, mean path ${fmt(pathHashes / tree.size, 2)} hashes`,
  );

  const top = root(tree);
  const v0 = performance.now();
  let ok = 0;
  const checks = 100_000;
  for (let k = 0; k < checks; k++) {
    const i = (k * 7919) % tree.size;
    const proof = inclusionProof(tree, i);
    if (verifyInclusion(leafHashAt(tree, i), i, tree.size, proof.path, top)) ok++;
  }
  const verifyMs = performance.now() - v0;
  out(`${fmt(checks)} proofs built and verified (RFC 9162 §2.1.3.2): ${fmt(ok)} valid, ${fmt(checks / (verifyMs / 1000))} /s`);
  memoryLine('after proofs');
  return tree;
}

out('Ethereum anchoring bench');
out(machineLine());
await gas();
const tree = await bigTree();
proofSizes(tree);
sample();
const maxRss = process.resourceUsage().maxRSS * 1024;
out(
  `\npeak memory: rss ${fmt(peak.rss / MiB)} MiB (sampled), maxRSS ${fmt(maxRss / MiB)} MiB (getrusage), heapUsed ${fmt(peak.heapUsed / MiB)} MiB, external ${fmt(peak.external / MiB)} MiB (sampled)`,
);
