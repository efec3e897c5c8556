import { JsonRpcProvider, Network, Wallet } from 'ethers';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ANVIL_DEV_KEYS, type AnvilNode, startAnvil } from '../../simulators/chain/anvil.ts';
import { type RpcProxy, startRpcProxy } from '../helpers/rpc-proxy.ts';

/** The fault proxy of test/helpers/rpc-proxy.ts in front of a real anvil node. */

let node: AnvilNode;
let proxy: RpcProxy;
let id = 0;

interface RpcAnswer {
  id: number;
  result?: string;
  error?: { code: number; message: string };
}

async function post(body: unknown): Promise<{ status: number; json: unknown }> {
  const res = await fetch(proxy.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, json: res.status === 200 ? JSON.parse(text) : text };
}

const call = (method: string, params: unknown[] = []): { jsonrpc: string; id: number; method: string; params: unknown[] } => ({
  jsonrpc: '2.0',
  id: ++id,
  method,
  params,
});
/** The node's own block number, not through the proxy. */
const blockNumber = async (): Promise<number> => Number(await node.rpc<string>('eth_blockNumber'));

beforeAll(async () => {
  node = await startAnvil();
});
afterAll(async () => {
  await node?.stop();
});
beforeEach(async () => {
  proxy = await startRpcProxy(node.url);
});
afterEach(async () => {
  await proxy?.stop();
});

describe('rpc proxy', () => {
  it('passes single calls and batches through and counts each element by method', async () => {
    const single = await post(call('eth_chainId'));
    expect((single.json as RpcAnswer).result).toBe(`0x${node.chainId.toString(16)}`);
    const batch = await post([call('eth_chainId'), call('eth_blockNumber')]);
    const answers = batch.json as RpcAnswer[];
    expect(answers.map((a) => typeof a.result)).toEqual(['string', 'string']);
    expect(proxy.calls('eth_chainId')).toBe(2);
    expect(proxy.calls('eth_blockNumber')).toBe(1);
    expect(proxy.calls('eth_getBalance')).toBe(0);
  });

  it('holds a method unforwarded until release, then forwards it', async () => {
    const before = await blockNumber();
    proxy.hold('evm_mine');
    let settled = false;
    const mined = post(call('evm_mine')).finally(() => (settled = true));
    await proxy.waitForCall('evm_mine', 1);
    // Other methods still pass while one is held.
    await post(call('eth_chainId'));
    expect(settled).toBe(false);
    expect(await blockNumber()).toBe(before);
    proxy.release('evm_mine');
    expect((await mined).status).toBe(200);
    expect(await blockNumber()).toBe(before + 1);
  });

  it('holds a whole batch when one of its methods is held', async () => {
    const before = await blockNumber();
    proxy.hold('evm_mine');
    let settled = false;
    const batch = post([call('eth_chainId'), call('evm_mine')]).finally(() => (settled = true));
    await proxy.waitForCall('evm_mine', 1);
    await post(call('eth_chainId'));
    expect(settled).toBe(false);
    expect(proxy.calls('eth_chainId')).toBe(2);
    proxy.release('evm_mine');
    expect(((await batch).json as RpcAnswer[]).length).toBe(2);
    expect(await blockNumber()).toBe(before + 1);
  });

  it('drops held requests without forwarding: 503 or a destroyed connection', async () => {
    const before = await blockNumber();
    proxy.hold('evm_mine');
    const answered = post(call('evm_mine'));
    await proxy.waitForCall('evm_mine', 1);
    proxy.dropHeld('evm_mine');
    expect((await answered).status).toBe(503);

    proxy.hold('evm_mine');
    const cut = post(call('evm_mine')).then(
      () => 'answered',
      () => 'network error',
    );
    await proxy.waitForCall('evm_mine', 2);
    proxy.dropHeld('evm_mine', 'destroy');
    expect(await cut).toBe('network error');
    expect(await blockNumber()).toBe(before);
  });

  it('down: the client sees a network error, and nothing arrives; up again: it passes', async () => {
    await post(call('eth_chainId')); // a kept-alive connection exists
    proxy.setDown(true);
    await expect(post(call('eth_chainId'))).rejects.toThrow(TypeError);
    // cacheTimeout -1: ethers would otherwise answer the second getBlockNumber from its cached failure.
    const provider = new JsonRpcProvider(proxy.url, Network.from(node.chainId), { staticNetwork: true, cacheTimeout: -1 });
    try {
      await expect(provider.getBlockNumber()).rejects.toBeDefined();
      expect(proxy.calls('eth_chainId')).toBe(1);
      proxy.setDown(false);
      expect(await provider.getBlockNumber()).toBe(await blockNumber());
    } finally {
      provider.destroy();
    }
  });

  it('failNext answers the given JSON-RPC error without forwarding, count times, batch elements too', async () => {
    const before = await blockNumber();
    proxy.failNext('evm_mine', 2, { code: -32005, message: 'limit exceeded' });
    for (let i = 0; i < 2; i++) expect(((await post(call('evm_mine'))).json as RpcAnswer).error).toEqual({ code: -32005, message: 'limit exceeded' });
    expect(await blockNumber()).toBe(before);

    proxy.failNext('eth_blockNumber', 1, { code: -32000, message: 'header not found' });
    const first = call('eth_chainId');
    const second = call('eth_blockNumber');
    const third = call('evm_mine');
    const answers = (await post([first, second, third])).json as RpcAnswer[];
    expect(answers.map((a) => a.id)).toEqual([first.id, second.id, third.id]);
    expect(answers[0]?.result).toBe(`0x${node.chainId.toString(16)}`);
    expect(answers[1]?.error?.code).toBe(-32000);
    expect(answers[2]?.error).toBeUndefined();
    expect(await blockNumber()).toBe(before + 1);
    expect((await post(call('eth_blockNumber'))).json).toMatchObject({ result: `0x${(before + 1).toString(16)}` });
  });

  it('lets a test hold an ethers broadcast and release it into a block', async () => {
    const provider = new JsonRpcProvider(proxy.url, Network.from(node.chainId), { staticNetwork: true, batchMaxCount: 1 });
    try {
      const wallet = new Wallet(ANVIL_DEV_KEYS[2], provider);
      const nonce = Number(await node.rpc<string>('eth_getTransactionCount', [wallet.address, 'pending']));
      const signed = await wallet.signTransaction(await wallet.populateTransaction({ to: wallet.address, value: 1n, nonce }));
      proxy.hold('eth_sendRawTransaction');
      const sent = provider.broadcastTransaction(signed);
      await proxy.waitForCall('eth_sendRawTransaction', 1);
      expect(Number(await node.rpc<string>('eth_getTransactionCount', [wallet.address, 'pending']))).toBe(nonce);
      proxy.release('eth_sendRawTransaction');
      const tx = await sent;
      // anvil answers eth_sendRawTransaction before its automine has sealed the block (under load
      // the receipt came a moment later): wait for the block, then read the receipt at the node.
      await tx.wait(1, 10_000);
      expect(await node.rpc<{ status: string } | null>('eth_getTransactionReceipt', [tx.hash])).toMatchObject({ status: '0x1' });
    } finally {
      provider.destroy();
    }
  });
});
