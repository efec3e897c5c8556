/**
 * The JSON-RPC calls anchoring needs, over ethers v6's JsonRpcProvider with `staticNetwork`
 * (without it a node that is down at start makes ethers retry network detection forever, ethers
 * #4377) and no batching or caching: every answer is fresh, and the raw JSON of receipts and
 * blocks is what the relay keeps as evidence. Every failure is ATALAYA_ANCHOR_RPC_FAILED with the
 * ethers code (if any) in details.rpcCode; branch on that, never on the node's message text.
 */
import { FetchRequest, isError, JsonRpcProvider, Network } from 'ethers';
import { ATALAYA_ANCHOR_RPC_FAILED, anchorError } from './errors.ts';

export interface RpcReceipt {
  readonly transactionHash: string;
  readonly blockNumber: number;
  readonly blockHash: string;
  /** 1 success, 0 reverted. */
  readonly status: number;
  readonly gasUsed: number;
  readonly effectiveGasPrice: bigint;
  readonly logs: readonly { address: string; topics: string[]; data: string }[];
  readonly json: string;
}

export interface RpcBlock {
  readonly number: number;
  readonly hash: string;
  /** ms */
  readonly timestamp: number;
  readonly baseFeePerGas: bigint;
  readonly json: string;
}

interface RawReceipt {
  transactionHash: string;
  blockNumber: string;
  blockHash: string;
  status: string;
  gasUsed: string;
  effectiveGasPrice?: string;
  logs: { address: string; topics: string[]; data: string }[];
}

interface RawBlock {
  number: string;
  hash: string;
  timestamp: string;
  baseFeePerGas?: string;
}

const num = (hex: string): number => Number(BigInt(hex));

export class Chain {
  private readonly provider: JsonRpcProvider;

  constructor(
    readonly url: string,
    readonly chainId: number,
    timeoutMs: number,
  ) {
    const request = new FetchRequest(url);
    request.timeout = timeoutMs;
    this.provider = new JsonRpcProvider(request, Network.from(chainId), { staticNetwork: true, batchMaxCount: 1, cacheTimeout: -1 });
  }

  /** A raw call; coded error on any failure. */
  async send<T>(method: string, params: unknown[]): Promise<T> {
    try {
      return (await this.provider.send(method, params)) as T;
    } catch (err) {
      const rpcCode = isError(err, 'UNKNOWN_ERROR') || typeof (err as { code?: unknown }).code !== 'string' ? undefined : (err as { code: string }).code;
      throw anchorError(ATALAYA_ANCHOR_RPC_FAILED, `${method} failed: ${(err as { shortMessage?: string }).shortMessage ?? (err as Error).message}`, {
        cause: err,
        details: { method, rpcCode },
      });
    }
  }

  async nodeChainId(): Promise<number> {
    return num(await this.send<string>('eth_chainId', []));
  }

  async blockNumber(): Promise<number> {
    return num(await this.send<string>('eth_blockNumber', []));
  }

  async nonce(address: string, tag: 'latest' | 'pending'): Promise<number> {
    return num(await this.send<string>('eth_getTransactionCount', [address, tag]));
  }

  async priorityFee(): Promise<bigint> {
    return BigInt(await this.send<string>('eth_maxPriorityFeePerGas', []));
  }

  async block(tag: number | string): Promise<RpcBlock | null> {
    const param = typeof tag === 'number' ? `0x${tag.toString(16)}` : tag;
    const method = typeof tag === 'string' && tag.length === 66 ? 'eth_getBlockByHash' : 'eth_getBlockByNumber';
    const raw = await this.send<RawBlock | null>(method, [param, false]);
    if (raw === null) return null;
    return {
      number: num(raw.number),
      hash: raw.hash,
      timestamp: num(raw.timestamp) * 1000,
      baseFeePerGas: BigInt(raw.baseFeePerGas ?? '0x0'),
      json: JSON.stringify(raw),
    };
  }

  async receipt(hash: string): Promise<RpcReceipt | null> {
    const raw = await this.send<RawReceipt | null>('eth_getTransactionReceipt', [hash]);
    if (raw === null || raw.blockHash === undefined || raw.blockHash === null) return null;
    return {
      transactionHash: raw.transactionHash,
      blockNumber: num(raw.blockNumber),
      blockHash: raw.blockHash,
      status: num(raw.status),
      gasUsed: num(raw.gasUsed),
      effectiveGasPrice: BigInt(raw.effectiveGasPrice ?? '0x0'),
      logs: raw.logs,
      json: JSON.stringify(raw),
    };
  }

  /** Whether the node knows the transaction (pending or mined). */
  async knows(hash: string): Promise<boolean> {
    return (await this.send<unknown>('eth_getTransactionByHash', [hash])) !== null;
  }

  async sendRaw(raw: string): Promise<void> {
    await this.send<string>('eth_sendRawTransaction', [raw]);
  }

  /** eth_call; resolves true when it would succeed, false when it reverts; throws when the node fails. */
  async wouldSucceed(tx: { from: string; to: string; data: string }): Promise<boolean> {
    try {
      await this.send<string>('eth_call', [tx, 'latest']);
      return true;
    } catch (err) {
      if ((err as { details?: { rpcCode?: string } }).details?.rpcCode === 'CALL_EXCEPTION') return false;
      throw err;
    }
  }

  destroy(): void {
    this.provider.destroy();
  }
}
