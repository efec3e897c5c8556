/** Shared by the anchoring tests: a real anvil node, the deployed contract, a relay anchoring on it. */
import { ContractFactory, JsonRpcProvider, Network, toBeHex, Wallet, zeroPadValue } from 'ethers';
import { ANCHORED_TOPIC, anchoredEvents } from '../../cloud/anchor/contract/abi.ts';
import { ANCHOR_ARTIFACT } from '../../protocols/anchor/contract/artifact.ts';
import { ANVIL_DEV_KEYS, type AnvilNode, startAnvil } from '../../simulators/chain/anvil.ts';

export interface TestChain {
  readonly anvil: AnvilNode;
  /** The latest contract deployed. */
  readonly contract: string;
  readonly owner: string;
  /** Deploys a fresh contract (batch ids restart with each relay database) and makes it `contract`. */
  deploy(): Promise<string>;
  stop(): Promise<void>;
}

/** anvil + AtalayaAnchor deployed by dev account 0 (the relay's key in these tests). */
export async function startChain(): Promise<TestChain> {
  const anvil = await startAnvil();
  try {
    const provider = new JsonRpcProvider(anvil.url, Network.from(anvil.chainId), { staticNetwork: true, cacheTimeout: -1 });
    const wallet = new Wallet(ANVIL_DEV_KEYS[0], provider);
    const factory = new ContractFactory(ANCHOR_ARTIFACT.abi as unknown as string[], ANCHOR_ARTIFACT.bytecode, wallet);
    let contract = '';
    const deploy = async (): Promise<string> => {
      const deployed = await factory.deploy({ nonce: await provider.getTransactionCount(wallet.address, 'pending') });
      await deployed.waitForDeployment();
      contract = await deployed.getAddress();
      return contract;
    };
    await deploy();
    return {
      anvil,
      get contract() {
        return contract;
      },
      owner: wallet.address,
      deploy,
      stop: async () => {
        provider.destroy();
        await anvil.stop();
      },
    };
  } catch (err) {
    await anvil.stop();
    throw err;
  }
}

/** The anchor: section of relay.yaml for this chain (ticks driven by the test unless pollMs is used). */
export function anchorSection(chain: TestChain, rpcUrl: string = chain.anvil.url, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { enabled: true, rpcUrl, chainId: chain.anvil.chainId, contract: chain.contract, confirmations: 2, replaceAfterMs: 1000, pollMs: 100, ...extra };
}

/** Anchored events of `batchId` on the canonical chain. */
export async function anchorsOf(chain: TestChain, batchId: number): Promise<Array<{ root: string; blockNumber: number; txHash: string }>> {
  const logs = await chain.anvil.rpc<Array<{ address: string; topics: string[]; data: string; blockNumber: string; transactionHash: string }>>('eth_getLogs', [
    { fromBlock: '0x0', toBlock: 'latest', address: chain.contract, topics: [ANCHORED_TOPIC, null, zeroPadValue(toBeHex(batchId), 32)] },
  ]);
  return logs.map((l) => ({ root: anchoredEvents([l])[0]?.root ?? '', blockNumber: Number(l.blockNumber), txHash: l.transactionHash }));
}

export const mine = (chain: TestChain, blocks = 1): Promise<unknown> => chain.anvil.rpc('anvil_mine', [toBeHex(blocks)]);
export const setAutomine = (chain: TestChain, on: boolean): Promise<unknown> => chain.anvil.rpc('evm_setAutomine', [on]);

/** A clock whose wall time the test can push forward (replaceAfterMs without waiting). */
export function skewedClock(): { now(): number; monotonic(): number; advance(ms: number): void } {
  let skew = 0;
  return {
    now: () => Date.now() + skew,
    monotonic: () => Number(process.hrtime.bigint() / 1_000_000n) + skew,
    advance: (ms) => {
      skew += ms;
    },
  };
}
