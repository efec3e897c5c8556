/** JSON-RPC calls of the verifier, each named, so a failure says which call and is reported as rpc_unreachable. */
import type { JsonRpcProvider } from 'ethers';
import { anchorInterface } from '../../cloud/anchor/contract/abi.ts';

export class RpcFailure extends Error {
  constructor(
    readonly call: string,
    cause: unknown,
  ) {
    super(call, { cause });
    this.name = 'RpcFailure';
  }
}

/** ethers errors and Node's socket errors carry a string code; anything else is a bug and is rethrown. */
export async function rpc<T>(call: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (typeof (err as { code?: unknown }).code === 'string') throw new RpcFailure(call, err);
    throw err;
  }
}

/** For people: ethers' short message, or the socket error, with its code. */
export function describeRpcError(err: unknown): string {
  const e = err as { shortMessage?: unknown; message?: unknown; code?: unknown };
  const text = typeof e.shortMessage === 'string' ? e.shortMessage : typeof e.message === 'string' ? e.message : String(err);
  return typeof e.code === 'string' && !text.includes(e.code) ? `${text} (${e.code})` : text;
}

/** owner(): null when the contract does not answer it (no code, a revert, bad return data). */
export async function ownerOf(provider: JsonRpcProvider, contract: string): Promise<string | null> {
  try {
    const data = await provider.call({ to: contract, data: anchorInterface.encodeFunctionData('owner', []) });
    return anchorInterface.decodeFunctionResult('owner', data)[0] as string;
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (code === 'CALL_EXCEPTION' || code === 'BAD_DATA') return null;
    if (typeof code === 'string') throw new RpcFailure('eth_call owner()', err);
    throw err;
  }
}
