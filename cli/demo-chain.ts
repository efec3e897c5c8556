import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { JsonRpcProvider, Network, Wallet } from 'ethers';
import { deployAnchorContract, verifyDeployedCode } from '../cloud/anchor/contract/deploy.ts';
import { ANVIL_DEV_KEYS, type AnvilNode, startAnvil } from '../simulators/chain/anvil.ts';

export interface DemoChain {
  readonly anvil: AnvilNode;
  /** AtalayaAnchor's address (checksummed). */
  readonly contract: string;
  /** True when the contract was deployed by this run: the relay's anchoring history must start afresh with it. */
  readonly fresh: boolean;
  /** The relay's signing key: anvil's dev account 0 (a public key for local chains only). Never printed. */
  readonly key: string;
  stop(): Promise<void>;
}

/**
 * A local anvil node that keeps its chain in the demo dir (--state: loaded at start, written when
 * it stops), so a second run finds the contract and the anchors of the first one. The contract is
 * reused only while the relay database that anchored on it is there too: a new relay database
 * starts batch ids at 1 again, and a new contract keeps their Anchored events unambiguous.
 */
export async function startDemoChain(dir: string, relayDbExists: boolean): Promise<DemoChain> {
  const stateFile = path.join(dir, 'chain-state.json');
  const contractFile = path.join(dir, 'chain-contract.json');
  if (!relayDbExists) rmSync(stateFile, { force: true });
  // blockTime 2 s: blocks keep coming, so anchors reach their confirmations without other traffic.
  const anvil = await startAnvil({ blockTime: 2, args: ['--state', stateFile] });
  const provider = new JsonRpcProvider(anvil.url, Network.from(anvil.chainId), { staticNetwork: true, cacheTimeout: -1 });
  try {
    const saved = relayDbExists ? savedContract(contractFile, anvil.chainId) : undefined;
    let contract: string;
    let fresh = false;
    if (saved !== undefined && (await verifyDeployedCode(provider, saved))) {
      contract = saved;
    } else {
      const deployed = await deployAnchorContract(new Wallet(ANVIL_DEV_KEYS[0], provider), { pollMs: 200, timeoutMs: 30_000 });
      contract = deployed.address;
      fresh = true;
      writeFileSync(contractFile, `${JSON.stringify({ chainId: anvil.chainId, contract })}\n`);
    }
    return { anvil, contract, fresh, key: ANVIL_DEV_KEYS[0], stop: () => anvil.stop() };
  } catch (err) {
    await anvil.stop();
    throw err;
  } finally {
    provider.destroy();
  }
}

function savedContract(file: string, chainId: number): string | undefined {
  if (!existsSync(file)) return undefined;
  try {
    const saved = JSON.parse(readFileSync(file, 'utf8')) as { chainId?: unknown; contract?: unknown };
    return saved.chainId === chainId && typeof saved.contract === 'string' ? saved.contract : undefined;
  } catch {
    return undefined;
  }
}
