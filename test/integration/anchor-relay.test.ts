/**
 * Relay anchoring against a real anvil node: batches cut from ingested records, signed with the
 * nonce kept in the relay database, mined, confirmed; proofs served and checked by the CLI; stuck
 * and dropped transactions replaced or rebroadcast; a reorg re-anchored; a dead node survived.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ATALAYA_ANCHOR_REORG, ATALAYA_ANCHOR_RPC_FAILED, ATALAYA_ANCHOR_TX_REVERTED, ATALAYA_ANCHOR_WRONG_CHAIN } from '../../cloud/anchor/errors.ts';
import type { AnchorService } from '../../cloud/anchor/service.ts';
import { ANVIL_DEV_KEYS } from '../../simulators/chain/anvil.ts';
import { cleanEnv, runAtalaya } from '../helpers/relay-process.ts';
import { type RpcProxy, startRpcProxy } from '../helpers/rpc-proxy.ts';
import { anchorSection, anchorsOf, mine, setAutomine, skewedClock, startChain, type TestChain } from './anchor-setup.ts';
import { batchOf, get, readings, send, startTestRelay, type TestRelay } from './relay-setup.ts';

let chain: TestChain;
let relay: TestRelay | undefined;
let proxy: RpcProxy | undefined;

beforeAll(async () => {
  chain = await startChain();
});
afterAll(async () => {
  await chain?.stop();
});
afterEach(async () => {
  await relay?.stop();
  relay = undefined;
  await proxy?.stop();
  proxy = undefined;
  await setAutomine(chain, true);
});

const anchorOf = (t: TestRelay): AnchorService => {
  const a = t.relay.anchor;
  if (a === undefined) throw new Error('anchoring not enabled');
  return a;
};

async function relayWithRecords(
  gateway: string,
  n: number,
  options: { rpcUrl?: string; key?: string; anchor?: Record<string, unknown>; clock?: ReturnType<typeof skewedClock> } = {},
): Promise<TestRelay> {
  await chain.deploy();
  relay = await startTestRelay({
    anchor: anchorSection(chain, options.rpcUrl, options.anchor),
    env: { ATALAYA_ANCHOR_KEY: options.key ?? ANVIL_DEV_KEYS[0] },
    ...(options.clock === undefined ? {} : { clock: options.clock }),
  });
  const secret = await relay.addGateway(gateway);
  const sent = await send(relay.url, secret, batchOf(gateway, readings(n)));
  expect(sent.status).toBe(200);
  return relay;
}

/** Ticks until the batch reaches `status` (each tick is one pass over the chain). */
async function tickUntil(
  a: AnchorService,
  batchId: number,
  status: string,
  beforeTick: () => Promise<unknown> = async () => undefined,
  max = 20,
): Promise<void> {
  for (let i = 0; i < max; i++) {
    if ((await a.batch(batchId))?.batch.status === status) return;
    await beforeTick();
    await a.tick();
  }
  throw new Error(`batch ${batchId} not ${status}: ${JSON.stringify(await a.batch(batchId))}`);
}

describe('relay anchoring on a real node', () => {
  it('anchors a batch once, confirms it, and serves a proof the CLI verifies; an altered record fails', async () => {
    const t = await relayWithRecords('gw-a', 120);
    const a = anchorOf(t);
    const notYet = await get(t.url, '/v1/proofs/gw-a/5', t.token);
    expect(notYet.status).toBe(409);
    expect(notYet.body['status']).toBe('unbatched');

    const batch = await a.cut();
    expect(batch?.size).toBe(120);
    await tickUntil(a, batch!.id, 'confirmed', () => mine(chain));
    const { batch: done, txs } = (await a.batch(batch!.id))!;
    expect(txs.filter((tx) => tx.status === 'mined')).toHaveLength(1);
    expect(done.gasUsed).toBeGreaterThan(21_000);
    expect(done.gasUsed).toBeLessThanOrEqual(25_000);
    expect(BigInt(done.costWei!)).toBe(BigInt(done.gasUsed!) * BigInt(txs[0]!.effectiveGasPrice!));
    expect(await anchorsOf(chain, batch!.id)).toEqual([expect.objectContaining({ root: done.root, txHash: done.txHash })]);
    const evidence = await a.store.txEvidence(txs[0]!.id);
    expect(JSON.parse(evidence!.receipt).transactionHash).toBe(done.txHash);

    const proof = await get(t.url, '/v1/proofs/gw-a/77', t.token);
    expect(proof.status).toBe(200);
    expect(await get(t.url, '/v1/proofs/gw-a/77', null).then((r) => r.status)).toBe(401);
    expect(await get(t.url, '/v1/proofs/gw-a/999', t.token).then((r) => r.status)).toBe(404);
    const file = path.join(t.dir, 'proof.json');
    fs.writeFileSync(file, JSON.stringify(proof.body));
    const ok = await runAtalaya(['verify', file, '--rpc', chain.anvil.url, '--contract', chain.contract, '--json'], cleanEnv());
    expect(ok.status, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout).ok).toBe(true);

    const altered = structuredClone(proof.body) as { record: { value: number } };
    altered.record.value += 0.01;
    fs.writeFileSync(file, JSON.stringify(altered));
    const bad = await runAtalaya(['verify', file, '--rpc', chain.anvil.url, '--contract', chain.contract, '--json'], cleanEnv());
    expect(bad.status).toBe(1);
    expect(JSON.parse(bad.stdout).reason).toBe('record_altered');

    const list = await get(t.url, '/v1/anchors', t.token);
    expect((list.body['batches'] as Array<{ id: number; status: string }>)[0]).toMatchObject({ id: batch!.id, status: 'confirmed' });
  });

  it('replaces a transaction stuck while mining is paused with both fees ≥ 10 % higher; the batch is anchored once', async () => {
    const clock = skewedClock();
    const t = await relayWithRecords('gw-b', 10, { clock });
    const a = anchorOf(t);
    await setAutomine(chain, false);
    const batch = (await a.cut())!;
    await a.tick();
    const [first] = (await a.batch(batch.id))!.txs;
    expect(first?.status).toBe('broadcast');
    clock.advance(5_000);
    await a.tick();
    const txs = (await a.batch(batch.id))!.txs;
    expect(txs).toHaveLength(2);
    const [old, replacement] = [txs.find((x) => x.id === first!.id)!, txs.find((x) => x.id !== first!.id)!];
    expect(replacement.nonce).toBe(old.nonce);
    expect(replacement.replaces).toBe(old.id);
    expect(BigInt(replacement.maxFeePerGas) * 10n).toBeGreaterThanOrEqual(BigInt(old.maxFeePerGas) * 11n);
    expect(BigInt(replacement.maxPriorityFeePerGas) * 10n).toBeGreaterThanOrEqual(BigInt(old.maxPriorityFeePerGas) * 11n);
    expect((await a.errors(10)).map((e) => e.code)).toContain('ATALAYA_ANCHOR_TX_STUCK');

    await setAutomine(chain, true);
    await tickUntil(a, batch.id, 'confirmed', () => mine(chain));
    const anchors = await anchorsOf(chain, batch.id);
    expect(anchors).toHaveLength(1);
    expect(anchors[0]!.txHash).toBe(replacement.hash);
  });

  it('records the replaced transaction when it is the one mined, and anchors the batch only once', async () => {
    const clock = skewedClock();
    const t = await relayWithRecords('gw-g', 10, { clock });
    const a = anchorOf(t);
    await setAutomine(chain, false);
    const batch = (await a.cut())!;
    await a.tick();
    const [original] = (await a.batch(batch.id))!.txs;
    clock.advance(5_000);
    await a.tick();
    const replacement = (await a.batch(batch.id))!.txs.find((x) => x.id !== original!.id)!;
    // A miner that never saw the replacement mines the original.
    await chain.anvil.rpc('anvil_dropTransaction', [replacement.hash]);
    await chain.anvil.rpc('eth_sendRawTransaction', [original!.raw]);
    await mine(chain);
    await setAutomine(chain, true);
    await tickUntil(a, batch.id, 'confirmed', () => mine(chain));
    for (let i = 0; i < 3; i++) await a.tick();
    const anchors = await anchorsOf(chain, batch.id);
    expect(anchors).toEqual([expect.objectContaining({ txHash: original!.hash })]);
    expect((await a.batch(batch.id))!.batch.txHash).toBe(original!.hash);
  });

  it('rebroadcasts a transaction the node dropped', async () => {
    const t = await relayWithRecords('gw-c', 10);
    const a = anchorOf(t);
    await setAutomine(chain, false);
    const batch = (await a.cut())!;
    await a.tick();
    const [tx] = (await a.batch(batch.id))!.txs;
    await chain.anvil.rpc('anvil_dropTransaction', [tx!.hash]);
    expect(await chain.anvil.rpc('eth_getTransactionByHash', [tx!.hash])).toBeNull();
    await a.tick();
    expect(await chain.anvil.rpc('eth_getTransactionByHash', [tx!.hash])).not.toBeNull();
    await setAutomine(chain, true);
    await tickUntil(a, batch.id, 'confirmed', () => mine(chain));
    expect(await anchorsOf(chain, batch.id)).toEqual([expect.objectContaining({ txHash: tx!.hash })]);
  });

  it('detects a reorg that removed the anchoring block and anchors the batch again', async () => {
    const t = await relayWithRecords('gw-d', 30);
    const a = anchorOf(t);
    const batch = (await a.cut())!;
    await tickUntil(a, batch.id, 'confirmed', () => mine(chain));
    const before = (await a.batch(batch.id))!.batch;
    const head = Number(await chain.anvil.rpc<string>('eth_blockNumber'));
    // Replace every block from the anchor's on with empty ones.
    await chain.anvil.rpc('anvil_reorg', [head - before.blockNumber! + 1, []]);
    expect(await anchorsOf(chain, batch.id)).toHaveLength(0);

    await a.tick();
    const reorged = (await a.batch(batch.id))!.batch;
    expect(reorged.reorgs).toBe(1);
    expect((await a.errors(10)).map((e) => e.code)).toContain(ATALAYA_ANCHOR_REORG);
    await tickUntil(a, batch.id, 'confirmed', () => mine(chain));
    const after = (await a.batch(batch.id))!.batch;
    expect(after.blockHash).not.toBe(before.blockHash);
    const anchors = await anchorsOf(chain, batch.id);
    expect(anchors).toHaveLength(1);
    expect(anchors[0]).toMatchObject({ root: before.root, blockNumber: after.blockNumber });
  });

  it('keeps ingesting while the node is down at start and mid-run, and catches up', async () => {
    proxy = await startRpcProxy(chain.anvil.url);
    proxy.setDown(true);
    const t = await relayWithRecords('gw-e', 20, { rpcUrl: proxy.url });
    const a = anchorOf(t);
    const first = (await a.cut())!;
    await a.tick();
    expect((await a.errors(5))[0]?.code).toBe(ATALAYA_ANCHOR_RPC_FAILED);
    expect((await a.batch(first.id))!.batch.status).toBe('pending');

    proxy.setDown(false);
    await tickUntil(a, first.id, 'mined');
    proxy.setDown(true);
    const secret2 = await t.addGateway('gw-e2');
    expect((await send(t.url, secret2, batchOf('gw-e2', readings(15)))).status).toBe(200);
    const second = (await a.cut())!;
    expect(second.size).toBe(15);
    await a.tick();
    expect((await a.batch(second.id))!.batch.status).toBe('pending');

    proxy.setDown(false);
    await tickUntil(a, second.id, 'confirmed', () => mine(chain));
    await tickUntil(a, first.id, 'confirmed', () => mine(chain));
    expect(await anchorsOf(chain, first.id)).toHaveLength(1);
    expect(await anchorsOf(chain, second.id)).toHaveLength(1);
  });

  it('signs nothing with a key that is not the owner, or for a node on another chain', async () => {
    const t = await relayWithRecords('gw-f', 5, { key: ANVIL_DEV_KEYS[1] });
    const a = anchorOf(t);
    const batch = (await a.cut())!;
    await a.tick();
    expect((await a.errors(5))[0]?.code).toBe(ATALAYA_ANCHOR_TX_REVERTED);
    expect((await a.batch(batch.id))!.txs).toHaveLength(0);
    await t.stop();

    relay = await startTestRelay({ anchor: anchorSection(chain, undefined, { chainId: 1 }), env: { ATALAYA_ANCHOR_KEY: ANVIL_DEV_KEYS[0] } });
    const w = anchorOf(relay);
    await w.tick();
    expect((await w.errors(5))[0]?.code).toBe(ATALAYA_ANCHOR_WRONG_CHAIN);
  });

  it('never logs the anchoring key', async () => {
    const lines: string[] = [];
    const { default: pino } = await import('pino');
    const { Relay } = await import('../../cloud/main.ts');
    const { parseRelayConfig } = await import('../../cloud/config/load.ts');
    const { newRelayKey } = await import('../../cloud/secrets.ts');
    const dir = fs.mkdtempSync(path.join(process.env['TMPDIR'] ?? '/tmp', 'atalaya-anchor-log-'));
    const logger = pino({ level: 'trace' }, { write: (l: string) => void lines.push(l) });
    const config = parseRelayConfig({
      listen: { host: '127.0.0.1', port: 0 },
      storage: { kind: 'sqlite', path: path.join(dir, 'r.db') },
      anchor: anchorSection(chain, 'http://127.0.0.1:1'),
    });
    const r = new Relay(config, { logger, env: { ATALAYA_RELAY_KEY: newRelayKey(), ATALAYA_ANCHOR_KEY: ANVIL_DEV_KEYS[2] }, anchorSchedule: false });
    await r.start();
    await r.anchor!.tick();
    await r.stop();
    fs.rmSync(dir, { recursive: true, force: true });
    const all = lines.join('\n');
    expect(all).toContain('anchoring started');
    expect(all.toLowerCase()).not.toContain(ANVIL_DEV_KEYS[2].slice(2).toLowerCase());
  });
});
