/**
 * `atalaya verify` as an auditor runs it: the real CLI in a child process against a real anvil
 * node with the real AtalayaAnchor contract, one proof document per case.
 */
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { type Contract, ContractFactory, JsonRpcProvider, type TransactionReceipt, Wallet } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { anchorCallData } from '../../cloud/anchor/contract/abi.ts';
import { ANCHOR_ARTIFACT } from '../../protocols/anchor/contract/artifact.ts';
import { buildProofDocument, type ProofDocument, serializeProofDocument } from '../../protocols/anchor/document.ts';
import { leafBytes } from '../../protocols/anchor/leaf.ts';
import { buildTree, inclusionProof, type MerkleTree, root } from '../../protocols/anchor/tree.ts';
import type { StoredRecord } from '../../protocols/records.ts';
import { ANVIL_DEV_KEYS, type AnvilNode, startAnvil } from '../../simulators/chain/anvil.ts';

const bin = path.resolve('bin/atalaya.mjs');
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('ATALAYA_')));
const GATEWAY = 'gw-01';

interface Batch {
  readonly id: number;
  readonly records: StoredRecord[];
  readonly tree: MerkleTree;
  readonly root: string;
}

function batchOf(id: number, size: number): Batch {
  const records = Array.from({ length: size }, (_, i): StoredRecord => {
    const base = {
      seq: id * 1000 + i,
      kind: 'reading' as const,
      device: 'gas-01',
      channel: 'ch4',
      value: 10 + i / 4,
      unit: '%LEL',
      quality: 'good' as const,
      exception: null,
    };
    const rest = { ts: 1_750_000_000_000 + i * 1000, mono: 1000 + i, bootId: 'b0', priority: 0 as const, flags: 0 };
    if (i % 7 === 3) return { ...base, ...rest, kind: 'alarm', priority: 2, alarm: { rule: 'high1', level: 'warning', state: 'raised', threshold: 11 } };
    if (i % 5 === 4) return { ...base, ...rest, value: null, quality: 'exception', exception: 2 };
    return { ...base, ...rest };
  });
  const tree = buildTree(records.map((r) => leafBytes(GATEWAY, r)));
  return { id, records, tree, root: root(tree).toString('hex') };
}

interface RunResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly json: Record<string, unknown>;
}

let node: AnvilNode;
let provider: JsonRpcProvider;
let wallet: Wallet;
let contract: string;
let otherContract: string;
let batch: Batch;
let anchored: TransactionReceipt;
let dir: string;
let files = 0;

/** Sends from the owner with an explicit nonce (ethers caches the pending count for 250 ms). */
async function nextNonce(): Promise<number> {
  return Number(await node.rpc<string>('eth_getTransactionCount', [wallet.address, 'pending']));
}

async function deploy(): Promise<string> {
  const factory = new ContractFactory(ANCHOR_ARTIFACT.abi as unknown as string[], ANCHOR_ARTIFACT.bytecode, wallet);
  const c = (await factory.deploy({ nonce: await nextNonce() })) as Contract;
  await c.waitForDeployment();
  return c.getAddress();
}

async function anchor(to: string, b: Batch, treeSize = b.tree.size, gasLimit = 100_000): Promise<TransactionReceipt> {
  const tx = await wallet.sendTransaction({ to, data: anchorCallData(b.root, b.id, treeSize), nonce: await nextNonce(), gasLimit });
  const receipt = await tx.wait();
  if (receipt === null || receipt.status !== 1) throw new Error('anchor transaction failed');
  return receipt;
}

async function docFor(b: Batch, index: number, receipt: TransactionReceipt, to = contract): Promise<ProofDocument> {
  const block = await provider.getBlock(receipt.blockNumber);
  return buildProofDocument({
    gateway: GATEWAY,
    record: b.records[index] as StoredRecord,
    proof: inclusionProof(b.tree, index),
    batch: { id: b.id, root: b.root, treeSize: b.tree.size, periodStart: null, periodEnd: 1_750_000_600_000 },
    anchor: {
      chainId: node.chainId,
      contract: to,
      txHash: receipt.hash,
      blockNumber: receipt.blockNumber,
      blockHash: receipt.blockHash,
      blockTime: (block?.timestamp ?? 0) * 1000,
      requiredConfirmations: 1,
      status: 'mined',
    },
  });
}

/** A proof document's sections as plain JSON, which the tests overwrite with values of any type on purpose. */
type Sections = Record<'record' | 'leaf' | 'inclusion' | 'batch' | 'anchor', Record<string, unknown>>;
/** A plain JSON copy with `change` applied, as someone editing the file would. */
function edited(doc: ProofDocument, change: (o: Sections) => void): Sections {
  const o = JSON.parse(JSON.stringify(doc)) as Sections;
  change(o);
  return o;
}

function write(content: unknown): string {
  const file = path.join(dir, `proof-${++files}.json`);
  fs.writeFileSync(file, typeof content === 'string' ? content : serializeProofDocument(content as ProofDocument));
  return file;
}

function run(args: string[]): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, 'verify', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject);
    child.once('close', (status) => {
      let json: Record<string, unknown> = {};
      try {
        json = JSON.parse(stdout) as Record<string, unknown>;
      } catch {
        // human output or a usage error
      }
      resolve({ status, stdout, stderr, json });
    });
  });
}

/** verify <doc> --rpc <node> --json …extra */
const verify = (doc: unknown, ...extra: string[]): Promise<RunResult> => run([write(doc), '--rpc', node.url, '--json', ...extra]);

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atalaya-verify-'));
  node = await startAnvil();
  provider = new JsonRpcProvider(node.url, node.chainId, { staticNetwork: true });
  wallet = new Wallet(ANVIL_DEV_KEYS[0], provider);
  contract = await deploy();
  otherContract = await deploy();
  batch = batchOf(7, 50);
  anchored = await anchor(contract, batch);
});

afterAll(async () => {
  provider?.destroy();
  await node?.stop();
  if (dir !== undefined) fs.rmSync(dir, { recursive: true, force: true });
});

describe('atalaya verify', () => {
  it('verifies an anchored record, pinned or not, and says who owns the contract', async () => {
    const doc = await docFor(batch, 17, anchored);
    const [pinned, unpinned, human] = await Promise.all([verify(doc, '--contract', contract.toLowerCase()), verify(doc), run([write(doc), '--rpc', node.url])]);
    expect(pinned.status).toBe(0);
    expect(pinned.json).toMatchObject({
      ok: true,
      record: { gateway: GATEWAY, seq: 7017, device: 'gas-01', channel: 'ch4', kind: 'alarm' },
      leaf: { index: 17, treeSize: 50 },
      batch: { id: 7, root: batch.root, treeSize: 50 },
      anchor: {
        chainId: node.chainId,
        owner: wallet.address,
        pinned: true,
        txHash: anchored.hash,
        blockNumber: anchored.blockNumber,
        blockHash: anchored.blockHash,
        foundBy: 'receipt',
        batchId: 7,
        treeSize: 50,
      },
      warnings: [],
    });
    expect(unpinned.status).toBe(0);
    expect(unpinned.json['anchor']).toMatchObject({ pinned: false });
    expect(unpinned.json['warnings']).toHaveLength(1);
    expect(human.status).toBe(0);
    expect(human.stdout).toContain(batch.root);
    expect(human.stdout).toContain(anchored.hash);
    expect(human.stdout).toContain(wallet.address);
  });

  it('refuses an altered record: record_altered, exit 1', async () => {
    const doc = await docFor(batch, 4, anchored);
    const r = await verify(edited(doc, (o) => (o['record']['value'] = 99)));
    expect(r.status).toBe(1);
    expect(r.json).toMatchObject({ ok: false, reason: 'record_altered' });
  });

  it('refuses a contract other than the published one, and a proof whose contract did not anchor the root: wrong_contract', async () => {
    const doc = await docFor(batch, 5, anchored);
    // Pinned to the second contract; then a proof that names the second contract, whose transaction's event came from the first.
    const [pinned, claimed] = await Promise.all([
      verify(doc, '--contract', otherContract),
      verify(edited(doc, (o) => (o['anchor']['contract'] = otherContract))),
    ]);
    expect(pinned.status).toBe(1);
    expect(pinned.json).toMatchObject({ ok: false, reason: 'wrong_contract' });
    expect(claimed.status).toBe(1);
    expect(claimed.json).toMatchObject({ ok: false, reason: 'wrong_contract' });
  });

  it('refuses a root that was never anchored: root_not_on_chain', async () => {
    const never = batchOf(8, 13);
    const r = await verify(await docFor(never, 2, anchored));
    expect(r.status).toBe(1);
    expect(r.json).toMatchObject({ ok: false, reason: 'root_not_on_chain' });
  });

  it('refuses a root anchored with another tree size: proof_invalid', async () => {
    const lied = batchOf(9, 21);
    const receipt = await anchor(contract, lied, 22);
    const r = await verify(await docFor(lied, 20, receipt));
    expect(r.status).toBe(1);
    expect(r.json).toMatchObject({ ok: false, reason: 'proof_invalid' });
  });

  it('says not_final until enough blocks are on top, then verifies', async () => {
    const doc = await docFor(batch, 0, anchored);
    const confirmations = (await provider.getBlockNumber()) - anchored.blockNumber + 1;
    const required = String(confirmations + 5);
    const early = await verify(doc, '--confirmations', required);
    expect(early.status).toBe(1);
    expect(early.json).toMatchObject({ ok: false, reason: 'not_final', anchor: { confirmations, requiredConfirmations: confirmations + 5 } });
    await node.rpc('anvil_mine', ['0x5']);
    const late = await verify(doc, '--confirmations', required);
    expect(late.status).toBe(0);
    expect(late.json).toMatchObject({ ok: true, anchor: { confirmations: confirmations + 5 } });
    // The document's own requiredConfirmations is the default.
    expect((await verify(edited(doc, (o) => (o['anchor']['requiredConfirmations'] = confirmations + 6)))).json).toMatchObject({ reason: 'not_final' });
  });

  it('refuses a proof for another chain: wrong_chain', async () => {
    const doc = await docFor(batch, 1, anchored);
    const r = await verify(edited(doc, (o) => (o['anchor']['chainId'] = 1)));
    expect(r.status).toBe(1);
    expect(r.json).toMatchObject({ ok: false, reason: 'wrong_chain' });
  });

  it('finds the root by its event when the proof’s transaction is gone after a reorg', async () => {
    const b = batchOf(10, 34);
    const snapshot = await node.rpc<string>('evm_snapshot');
    const first = await anchor(contract, b);
    const doc = await docFor(b, 33, first);
    expect((await verify(doc)).json).toMatchObject({ ok: true, anchor: { foundBy: 'receipt' } });
    // The block is dropped; the relay anchors the same root again, in a transaction with another hash.
    await node.rpc('evm_revert', [snapshot]);
    expect(await provider.getTransactionReceipt(first.hash)).toBeNull();
    const again = await anchor(contract, b, b.tree.size, 120_000);
    expect(again.hash).not.toBe(first.hash);
    const r = await verify(doc, '--contract', contract);
    expect(r.status).toBe(0);
    expect(r.json).toMatchObject({ ok: true, anchor: { foundBy: 'logs', txHash: again.hash, blockNumber: again.blockNumber } });
    expect(r.json['warnings']).toHaveLength(1);
    // A transaction hash the chain never saw, for a root anchored twice: the earliest event.
    const twice = await anchor(contract, batch);
    const fake = await verify(edited(await docFor(batch, 9, twice), (o) => (o['anchor']['txHash'] = `0x${crypto.randomBytes(32).toString('hex')}`)));
    expect(fake.status).toBe(0);
    expect(fake.json).toMatchObject({ ok: true, anchor: { foundBy: 'logs', txHash: anchored.hash } });
  });

  it('exits 2 with rpc_unreachable for a closed port and for a node that never answers', async () => {
    const doc = await docFor(batch, 3, anchored);
    const closed = await new Promise<number>((resolve) => {
      const server = net.createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as net.AddressInfo;
        server.close(() => resolve(port));
      });
    });
    const refused = await run([write(doc), '--rpc', `http://127.0.0.1:${closed}`, '--json']);
    expect(refused.status).toBe(2);
    expect(refused.json).toMatchObject({ ok: false, reason: 'rpc_unreachable' });

    const sockets = new Set<net.Socket>();
    const silent = net.createServer((s) => sockets.add(s));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = silent.address() as net.AddressInfo;
      const r = await run([write(doc), '--rpc', `http://127.0.0.1:${port}`, '--json', '--timeout-ms', '300']);
      expect(r.status).toBe(2);
      expect(r.json).toMatchObject({ ok: false, reason: 'rpc_unreachable' });
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  it('exits 2 for a malformed proof, an unreadable file and bad usage', async () => {
    const doc = await docFor(batch, 3, anchored);
    const [extra, notJson, missing, noRpc, zero, badAddress, unknown, help] = await Promise.all([
      verify(edited(doc, (o) => (o['anchor']['note'] = 'x'))),
      verify('{"format": "atalaya-anchor-proof",'),
      run([path.join(dir, 'missing.json'), '--rpc', node.url]),
      run([write(doc)]),
      run([write(doc), '--rpc', node.url, '--confirmations', '0']),
      run([write(doc), '--rpc', node.url, '--contract', '0x12']),
      run([write(doc), '--rpc', node.url, '--frobnicate']),
      run(['--help']),
    ]);
    expect(extra.status).toBe(2);
    expect(extra.json).toMatchObject({ ok: false, reason: 'malformed_proof' });
    expect(notJson.status).toBe(2);
    expect(notJson.json).toMatchObject({ ok: false, reason: 'malformed_proof' });
    for (const usage of [missing, noRpc, zero, badAddress, unknown]) expect(usage.status).toBe(2);
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('atalaya verify <proof.json>');
  });
});
