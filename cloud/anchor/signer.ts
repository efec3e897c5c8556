/**
 * Signing anchor transactions (EIP-1559, type 2) and choosing their fees. Nothing here talks to
 * the database; the engine persists what is signed before it is broadcast.
 */
import { parseUnits, Transaction, type Wallet } from 'ethers';
import type { SignedTx } from '../store/anchor-types.ts';
import { anchorCallData } from './contract/abi.ts';

export interface Fees {
  readonly maxFeePerGas: bigint;
  readonly maxPriorityFeePerGas: bigint;
}

export interface FeePolicy {
  /** anchor.maxFeeGwei in wei. */
  readonly cap: bigint;
  /** anchor.priorityFeeGwei in wei, undefined: the node's suggestion. */
  readonly priority: bigint | undefined;
  /** anchor.feeBumpPercent. */
  readonly bumpPercent: number;
}

export function feePolicy(o: { maxFeeGwei: number; priorityFeeGwei?: number | undefined; feeBumpPercent: number }): FeePolicy {
  return {
    cap: parseUnits(String(o.maxFeeGwei), 'gwei'),
    priority: o.priorityFeeGwei === undefined ? undefined : parseUnits(String(o.priorityFeeGwei), 'gwei'),
    bumpPercent: o.feeBumpPercent,
  };
}

/**
 * First attempt: priority as configured or suggested, max fee 2 × base fee + priority (room for
 * six full blocks of +12.5 % base fee, EIP-1559). Undefined when even base fee + priority
 * exceeds the cap; a max fee above the cap is lowered to it.
 */
export function initialFees(baseFee: bigint, suggestedPriority: bigint, policy: FeePolicy): Fees | undefined {
  const priority = policy.priority ?? suggestedPriority;
  if (baseFee + priority > policy.cap) return undefined;
  const max = 2n * baseFee + priority;
  return { maxFeePerGas: max > policy.cap ? policy.cap : max, maxPriorityFeePerGas: priority };
}

const bump = (fee: bigint, percent: number): bigint => (fee * BigInt(100 + percent) + 99n) / 100n;

/**
 * A replacement must raise both fees by ≥ 10 % (geth's txpool price bump; nodes refuse less with
 * "replacement transaction underpriced"): each is the larger of the old fee raised by
 * bumpPercent and what a first attempt would use now. Undefined when that exceeds the cap.
 */
export function replacementFees(old: Fees, baseFee: bigint, suggestedPriority: bigint, policy: FeePolicy): Fees | undefined {
  const now = initialFees(baseFee, suggestedPriority, { ...policy, cap: BigInt(Number.MAX_SAFE_INTEGER) * 10n ** 9n });
  const priority = [bump(old.maxPriorityFeePerGas, policy.bumpPercent), now?.maxPriorityFeePerGas ?? 0n].reduce((a, b) => (a > b ? a : b));
  let max = [bump(old.maxFeePerGas, policy.bumpPercent), now?.maxFeePerGas ?? 0n].reduce((a, b) => (a > b ? a : b));
  if (max < priority) max = priority;
  if (max > policy.cap) return undefined;
  return { maxFeePerGas: max, maxPriorityFeePerGas: priority };
}

export interface AnchorTxFields {
  readonly chainId: number;
  readonly contract: string;
  readonly gasLimit: number;
  readonly root: string;
  readonly batchId: number;
  readonly size: number;
}

export async function signAnchor(wallet: Wallet, f: AnchorTxFields, nonce: number, fees: Fees): Promise<SignedTx> {
  const raw = await wallet.signTransaction({
    type: 2,
    chainId: f.chainId,
    nonce,
    to: f.contract,
    data: anchorCallData(f.root, f.batchId, f.size),
    value: 0n,
    gasLimit: BigInt(f.gasLimit),
    maxFeePerGas: fees.maxFeePerGas,
    maxPriorityFeePerGas: fees.maxPriorityFeePerGas,
  });
  const hash = Transaction.from(raw).hash;
  if (hash === null) throw new Error('signed transaction has no hash');
  return { hash, raw, nonce, maxFeePerGas: fees.maxFeePerGas.toString(), maxPriorityFeePerGas: fees.maxPriorityFeePerGas.toString() };
}
