/**
 * The relay process SIGKILLed between signing and broadcasting, and between broadcasting and
 * recording the receipt: after a restart every batch is anchored exactly once. The kill points
 * are made exact by an RPC proxy that holds one JSON-RPC method: the relay has done everything
 * before that call and nothing after it.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ANVIL_DEV_KEYS } from '../../simulators/chain/anvil.ts';
import { addGateway, cleanEnv, getJson, type RelayProcess, runAtalaya, startRelayProcess, writeRelayConfig } from '../helpers/relay-process.ts';
import { type RpcProxy, startRpcProxy } from '../helpers/rpc-proxy.ts';
import { waitFor } from '../helpers/wait.ts';
import { anchorsOf, startChain, type TestChain } from './anchor-setup.ts';
import { batchOf, readings, send } from './relay-setup.ts';

let chain: TestChain;
let proxy: RpcProxy;
let dir: string;
let relay: RelayProcess | undefined;

beforeAll(async () => {
  chain = await startChain();
});
afterAll(async () => {
  await chain?.stop();
});
afterEach(async () => {
  await relay?.process.stop();
  relay = undefined;
  await proxy?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

const env = (): NodeJS.ProcessEnv => cleanEnv({ ATALAYA_ANCHOR_KEY: ANVIL_DEV_KEYS[0] });

interface BatchJson {
  id: number;
  status: string;
  txHash: string | null;
}

async function setup(): Promise<{ configFile: string; token: string }> {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atalaya-anchor-kill-'));
  proxy = await startRpcProxy(chain.anvil.url);
  await chain.deploy();
  // A schedule that never fires during the test: batches are cut with `atalaya relay anchor now`.
  const anchor = `anchor: {enabled: true, rpcUrl: "${proxy.url}", chainId: ${chain.anvil.chainId}, contract: "${chain.contract}", confirmations: 1, pollMs: 100, replaceAfterMs: 600000, schedule: "0 0 1 1 *"}`;
  const setupFiles = writeRelayConfig(dir, { kind: 'sqlite', path: 'relay.db' }, anchor);
  const secret = await addGateway(setupFiles.configFile, 'gw-k');
  relay = await startRelayProcess(setupFiles.configFile, env());
  expect((await send(relay.url, secret, batchOf('gw-k', readings(50)))).status).toBe(200);
  return setupFiles;
}

async function cutNow(configFile: string): Promise<number> {
  const r = await runAtalaya(['relay', 'anchor', 'now', '-c', configFile, '--json'], env());
  expect(r.status, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as BatchJson).id;
}

async function batchStatus(configFile: string, id: number): Promise<BatchJson | undefined> {
  const r = await runAtalaya(['relay', 'anchor', 'status', '-c', configFile, '--json'], env());
  expect(r.status, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as { batches: BatchJson[] }).batches.find((b) => b.id === id);
}

/** Cuts a batch and SIGKILLs the relay the moment it calls `method` (held by the proxy, unanswered). */
async function cutAndKillAt(configFile: string, method: string, beforeKill: (id: number) => Promise<unknown> = async () => undefined): Promise<number> {
  proxy.hold(method);
  const id = await cutNow(configFile);
  await proxy.waitForCall(method, 1, 30_000);
  await beforeKill(id);
  await relay!.process.kill('SIGKILL');
  relay = undefined;
  return id;
}

async function restartAndConfirm(s: { configFile: string; token: string }, id: number): Promise<void> {
  relay = await startRelayProcess(s.configFile, env());
  const url = relay.url;
  await waitFor(
    async () => (await getJson<{ batch: BatchJson }>(url, `/v1/anchors/${id}`, s.token)).batch.status === 'confirmed',
    `batch ${id} confirmed`,
    30_000,
  );
}

describe('anchoring survives SIGKILL', () => {
  it('between signing and broadcasting: the persisted transaction is broadcast after restart, anchored once', async () => {
    const s = await setup();
    const id = await cutAndKillAt(s.configFile, 'eth_sendRawTransaction');
    proxy.dropHeld('eth_sendRawTransaction', 'destroy');
    expect(await batchStatus(s.configFile, id)).toMatchObject({ status: 'sent' });
    expect(await anchorsOf(chain, id)).toHaveLength(0);

    await restartAndConfirm(s, id);
    expect(await anchorsOf(chain, id)).toHaveLength(1);
  });

  it('after the broadcast reached the node but before the relay heard back: rebroadcast is harmless, anchored once', async () => {
    const s = await setup();
    const id = await cutAndKillAt(s.configFile, 'eth_sendRawTransaction');
    // The request leaves for the node after all; its answer goes nowhere.
    proxy.release('eth_sendRawTransaction');
    await waitFor(async () => (await anchorsOf(chain, id)).length === 1, 'the held transaction mined', 15_000);

    await restartAndConfirm(s, id);
    expect(await anchorsOf(chain, id)).toHaveLength(1);
  });

  it('between broadcasting and recording the receipt: the receipt is found after restart, anchored once', async () => {
    const s = await setup();
    const id = await cutAndKillAt(s.configFile, 'eth_getTransactionReceipt', (batch) =>
      waitFor(async () => (await anchorsOf(chain, batch)).length === 1, 'the transaction mined', 15_000),
    );
    proxy.dropHeld('eth_getTransactionReceipt', 'destroy');
    expect(await batchStatus(s.configFile, id)).toMatchObject({ status: 'sent' });

    await restartAndConfirm(s, id);
    expect(await anchorsOf(chain, id)).toHaveLength(1);
  });
});
