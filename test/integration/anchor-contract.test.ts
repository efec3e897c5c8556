import { randomBytes } from 'node:crypto';
import { getAddress, getCreateAddress, hexlify, isError, JsonRpcProvider, Network, Wallet } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { anchorCallData, anchoredEvents, anchorInterface } from '../../cloud/anchor/contract/abi.ts';
import { deployAnchorContract, verifyDeployedCode, waitForReceipt } from '../../cloud/anchor/contract/deploy.ts';
import { ATALAYA_ANCHOR_DEPLOY_FAILED } from '../../cloud/anchor/errors.ts';
import { ANCHOR_ARTIFACT } from '../../protocols/anchor/contract/artifact.ts';
import { isAtalayaError } from '../../protocols/errors.ts';
import { ANVIL_DEV_KEYS, type AnvilNode, startAnvil } from '../../simulators/chain/anvil.ts';

/** The AtalayaAnchor contract on a real anvil node: deployment, anchor(), the owner check, the gas aim. */

const NOT_OWNER = anchorInterface.getError('NotOwner')!.selector;

let node: AnvilNode;
let provider: JsonRpcProvider;
let owner: Wallet;
let stranger: Wallet;

/** eth_getTransactionCount straight from the node: ethers' provider caches it for ~250 ms. */
async function nonceOf(address: string): Promise<number> {
  return Number(await node.rpc<string>('eth_getTransactionCount', [address, 'pending']));
}

function codeWithOwner(ownerAddress: string, secondSlot = ownerAddress): string {
  const code = Buffer.from(ANCHOR_ARTIFACT.deployedBytecode.slice(2), 'hex');
  const refs = Object.values(ANCHOR_ARTIFACT.immutableReferences).flat();
  refs.forEach((ref, i) => {
    Buffer.from((i === 0 ? ownerAddress : secondSlot).slice(2).padStart(64, '0'), 'hex').copy(code, ref.start);
  });
  return `0x${code.toString('hex')}`;
}

beforeAll(async () => {
  node = await startAnvil();
  provider = new JsonRpcProvider(node.url, Network.from(node.chainId), { staticNetwork: true, batchMaxCount: 1, pollingInterval: 50 });
  owner = new Wallet(ANVIL_DEV_KEYS[0], provider);
  stranger = new Wallet(ANVIL_DEV_KEYS[1], provider);
});

afterAll(async () => {
  provider?.destroy();
  await node?.stop();
});

describe('deployAnchorContract', () => {
  it('deploys the artifact with the signer as owner and its address from (sender, nonce)', async () => {
    const nonce = await nonceOf(owner.address);
    const d = await deployAnchorContract(owner, { nonce, pollMs: 20 });
    expect(d.owner).toBe(getAddress(owner.address));
    expect(d.address).toBe(getCreateAddress({ from: owner.address, nonce }));
    expect(d.gasUsed).toBeGreaterThan(0n);
    const receipt = await provider.getTransactionReceipt(d.txHash);
    expect(receipt?.status).toBe(1);
    expect(receipt?.blockNumber).toBe(d.blockNumber);
    expect(await verifyDeployedCode(provider, d.address)).toBe(true);
  });

  it('times out with a coded error when no block is mined', async () => {
    await node.rpc('evm_setAutomine', [false]);
    try {
      const err = await deployAnchorContract(owner, { nonce: await nonceOf(owner.address), timeoutMs: 300, pollMs: 20 }).catch((e: unknown) => e);
      expect(isAtalayaError(err, ATALAYA_ANCHOR_DEPLOY_FAILED)).toBe(true);
      expect((err as { details: Record<string, unknown> }).details['reason']).toBe('timeout');
    } finally {
      await node.rpc('evm_setAutomine', [true]);
      await node.rpc('evm_mine');
    }
  });

  it('refuses a signer without a provider', async () => {
    const err = await deployAnchorContract(new Wallet(ANVIL_DEV_KEYS[2])).catch((e: unknown) => e);
    expect(isAtalayaError(err, ATALAYA_ANCHOR_DEPLOY_FAILED)).toBe(true);
  });
});

describe('verifyDeployedCode', () => {
  it('is false for an address without code', async () => {
    expect(await verifyDeployedCode(provider, hexlify(randomBytes(20)))).toBe(false);
  });

  it('accepts any owner in the immutable slots, but nothing else changed', async () => {
    const other = Wallet.createRandom().address;
    const at = (): string => getAddress(hexlify(randomBytes(20)));

    const sameOwner = at();
    await node.rpc('anvil_setCode', [sameOwner, codeWithOwner(other)]);
    expect(await verifyDeployedCode(provider, sameOwner)).toBe(true);

    const splitOwner = at();
    await node.rpc('anvil_setCode', [splitOwner, codeWithOwner(other, owner.address)]);
    expect(await verifyDeployedCode(provider, splitOwner)).toBe(false);

    const flipped = Buffer.from(codeWithOwner(other).slice(2), 'hex');
    flipped[flipped.length - 40]! ^= 0xff; // inside the metadata hash, outside any immutable
    const edited = at();
    await node.rpc('anvil_setCode', [edited, `0x${flipped.toString('hex')}`]);
    expect(await verifyDeployedCode(provider, edited)).toBe(false);

    const longer = at();
    await node.rpc('anvil_setCode', [longer, `${codeWithOwner(other)}00`]);
    expect(await verifyDeployedCode(provider, longer)).toBe(false);
  });
});

describe('anchor()', () => {
  let contract: string;
  beforeAll(async () => {
    contract = (await deployAnchorContract(owner, { nonce: await nonceOf(owner.address), pollMs: 20 })).address;
  });

  it('emits exactly one Anchored with the root, batch id and tree size, within 25,000 gas', async () => {
    const root = randomBytes(32).toString('hex');
    const tx = await owner.sendTransaction({ to: contract, data: anchorCallData(root, 4_294_967_301, 1_000_000), nonce: await nonceOf(owner.address) });
    const receipt = await waitForReceipt(provider, tx.hash, 10_000, 20);
    expect(receipt.status).toBe(1);
    expect(receipt.logs).toHaveLength(1);
    expect(anchoredEvents(receipt.logs)).toEqual([{ contract: getAddress(contract), root, batchId: 4_294_967_301, treeSize: 1_000_000 }]);
    expect(receipt.gasUsed).toBeLessThanOrEqual(25_000n);
  });

  it('reverts NotOwner for any other sender: in estimation, and when mined anyway', async () => {
    const data = anchorCallData(randomBytes(32).toString('hex'), 1, 1);
    const estimate = await stranger.estimateGas({ to: contract, data }).catch((e: unknown) => e);
    expect(isError(estimate, 'CALL_EXCEPTION')).toBe(true);
    const revertData = (estimate as { data?: string }).data;
    expect(revertData).toBe(NOT_OWNER);
    expect(anchorInterface.parseError(revertData!)?.name).toBe('NotOwner');

    const tx = await stranger.sendTransaction({ to: contract, data, gasLimit: 50_000, nonce: await nonceOf(stranger.address) });
    const receipt = await waitForReceipt(provider, tx.hash, 10_000, 20);
    expect(receipt.status).toBe(0);
    expect(receipt.logs).toHaveLength(0);
    const replay = await stranger.call({ to: contract, data, blockTag: receipt.blockNumber }).catch((e: unknown) => e);
    expect((replay as { data?: string }).data).toBe(NOT_OWNER);
  });

  it('answers owner() with the deployer', async () => {
    const answer = await provider.call({ to: contract, data: anchorInterface.encodeFunctionData('owner') });
    expect(getAddress(anchorInterface.decodeFunctionResult('owner', answer)[0] as string)).toBe(getAddress(owner.address));
  });
});
