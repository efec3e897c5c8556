/**
 * The on-chain half of `atalaya verify`: the batch root of a proof document must have been
 * published by an Anchored event of the proof's contract, with the same tree size, on the
 * proof's chain, and be buried under enough blocks. Any Ethereum JSON-RPC node will do: the
 * check reads eth_chainId, the receipt, eth_getLogs, blocks and owner(), and trusts nothing the
 * relay says beyond what it can look up.
 */
import { FetchRequest, JsonRpcProvider, Network } from 'ethers';
import { ANCHORED_TOPIC } from '../../cloud/anchor/contract/abi.ts';
import type { ProofDocument } from '../../protocols/anchor/document.ts';
import { anchoredLogs, pickEvent, sameHex as same } from './events.ts';
import type { AnchorFacts, VerifyReason } from './result.ts';
import { describeRpcError, ownerOf, RpcFailure, rpc } from './rpc.ts';

export interface ChainCheckOptions {
  /** http(s) JSON-RPC endpoint. */
  readonly rpcUrl: string;
  /** The operator's published contract address; unset: the proof's contract is taken as is. */
  readonly contract?: string;
  /** Overrides the document's requiredConfirmations; ≥ 1. */
  readonly confirmations?: number;
  /** Bound on each JSON-RPC call, ms. */
  readonly timeoutMs: number;
}

export type ChainCheck =
  | { readonly ok: true; readonly anchor: AnchorFacts; readonly warnings: readonly string[] }
  | { readonly ok: false; readonly reason: VerifyReason; readonly detail: string; readonly anchor?: AnchorFacts; readonly warnings: readonly string[] };

export async function checkOnChain(doc: ProofDocument, options: ChainCheckOptions): Promise<ChainCheck> {
  const { anchor } = doc;
  const warnings: string[] = [];
  if (options.contract !== undefined && !same(options.contract, anchor.contract)) {
    return { ok: false, reason: 'wrong_contract', detail: `the proof names contract ${anchor.contract}, not the published ${options.contract}`, warnings };
  }
  const request = new FetchRequest(options.rpcUrl);
  request.timeout = options.timeoutMs;
  // A static network: no eth_chainId polling loop against a node that is down; the chain id is checked below.
  const provider = new JsonRpcProvider(request, Network.from(anchor.chainId), { staticNetwork: true, batchMaxCount: 1 });
  try {
    return await check(provider, doc, options, warnings);
  } catch (err) {
    if (!(err instanceof RpcFailure)) throw err;
    return { ok: false, reason: 'rpc_unreachable', detail: `${err.call} at ${options.rpcUrl}: ${describeRpcError(err.cause)}`, warnings };
  } finally {
    provider.destroy();
  }
}

async function check(provider: JsonRpcProvider, doc: ProofDocument, options: ChainCheckOptions, warnings: string[]): Promise<ChainCheck> {
  const { anchor, batch } = doc;
  const chainId = Number(await rpc('eth_chainId', () => provider.send('eth_chainId', []) as Promise<string>));
  if (chainId !== anchor.chainId) {
    return { ok: false, reason: 'wrong_chain', detail: `the node is on chain ${chainId}, the proof was anchored on chain ${anchor.chainId}`, warnings };
  }

  const receipt = await rpc('eth_getTransactionReceipt', () => provider.getTransactionReceipt(anchor.txHash));
  const inReceipt = receipt === null ? [] : anchoredLogs(receipt.logs, batch.root);
  const ours = inReceipt.filter((e) => same(e.log.address, anchor.contract));
  let events = ours;
  let foundBy: AnchorFacts['foundBy'] = 'receipt';
  if (ours.length === 0) {
    // The batch may have been anchored again in another transaction after a reorg dropped this one.
    const logs = await rpc('eth_getLogs', () =>
      provider.getLogs({ address: anchor.contract, topics: [ANCHORED_TOPIC, `0x${batch.root}`], fromBlock: 0, toBlock: 'latest' }),
    );
    events = anchoredLogs(logs, batch.root).filter((e) => same(e.log.address, anchor.contract));
    foundBy = 'logs';
  }
  if (events.length === 0) {
    const other = inReceipt[0];
    if (other !== undefined) {
      return {
        ok: false,
        reason: 'wrong_contract',
        detail: `transaction ${anchor.txHash} anchored root ${batch.root} from contract ${other.log.address}, not from the proof's ${anchor.contract}`,
        warnings,
      };
    }
    const tx = receipt === null ? `transaction ${anchor.txHash} is not on this chain` : `transaction ${anchor.txHash} does not carry it`;
    return {
      ok: false,
      reason: 'root_not_on_chain',
      detail: `contract ${anchor.contract} on chain ${chainId} never anchored root ${batch.root} (${tx})`,
      warnings,
    };
  }
  const event = pickEvent(events, batch);
  if (event === undefined) {
    const sizes = [...new Set(events.map((e) => e.treeSize))].join(', ');
    return { ok: false, reason: 'proof_invalid', detail: `root ${batch.root} was anchored with treeSize ${sizes}, the proof says ${batch.treeSize}`, warnings };
  }
  const { log } = event;
  if (foundBy === 'logs') {
    const why = receipt === null ? 'is not on this chain' : 'does not carry this root';
    warnings.push(
      `the proof's transaction ${anchor.txHash} ${why}; the same contract anchored the root in transaction ${log.transactionHash} (anchored again after a reorg?)`,
    );
  } else if (!same(log.blockHash, anchor.blockHash)) {
    warnings.push(
      `the transaction is in block ${log.blockNumber} ${log.blockHash}, not in block ${anchor.blockNumber} ${anchor.blockHash} named by the proof (a reorg moved it)`,
    );
  }
  if (event.batchId !== batch.id) warnings.push(`the event says batch ${event.batchId}, the proof says batch ${batch.id}`);

  const block = await rpc('eth_getBlockByNumber', () => provider.getBlock(log.blockNumber));
  const latest = await rpc('eth_blockNumber', () => provider.getBlockNumber());
  const owner = await ownerOf(provider, log.address);
  const required = options.confirmations ?? anchor.requiredConfirmations;
  const facts: AnchorFacts = {
    chainId,
    contract: log.address,
    owner,
    pinned: options.contract !== undefined,
    txHash: log.transactionHash,
    blockNumber: log.blockNumber,
    blockHash: log.blockHash,
    blockTime: block === null ? null : new Date(block.timestamp * 1000).toISOString(),
    batchId: event.batchId,
    treeSize: event.treeSize,
    confirmations: Math.max(0, latest - log.blockNumber + 1),
    requiredConfirmations: required,
    foundBy,
  };
  if (facts.confirmations < required) {
    return {
      ok: false,
      reason: 'not_final',
      detail: `${facts.confirmations} confirmation${facts.confirmations === 1 ? '' : 's'}, ${required} required`,
      anchor: facts,
      warnings,
    };
  }
  return { ok: true, anchor: facts, warnings };
}
