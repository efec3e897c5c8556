/**
 * What `atalaya verify` concludes, in the shape --json prints. `reason` is a stable code for
 * scripts; `detail` is for people and may change.
 */

export const VERIFY_REASONS = [
  'record_altered',
  'proof_invalid',
  'root_not_on_chain',
  'wrong_contract',
  'wrong_chain',
  'not_final',
  'rpc_unreachable',
  'malformed_proof',
] as const;
export type VerifyReason = (typeof VERIFY_REASONS)[number];

/** Verification could not be carried out (exit 2), as against carried out and failed (exit 1). */
export function exitCodeOf(reason: VerifyReason | undefined): 0 | 1 | 2 {
  if (reason === undefined) return 0;
  return reason === 'rpc_unreachable' || reason === 'malformed_proof' ? 2 : 1;
}

/** The Anchored event that carries the root, as found on the node. */
export interface AnchorFacts {
  readonly chainId: number;
  readonly contract: string;
  /** owner() of the contract: the only sender it accepts; null when the call failed. */
  readonly owner: string | null;
  /** Whether the contract was checked against an address given with --contract. */
  readonly pinned: boolean;
  readonly txHash: string;
  readonly blockNumber: number;
  readonly blockHash: string;
  /** Block timestamp, ISO 8601; null when the node no longer had the block (a reorg during the check). */
  readonly blockTime: string | null;
  /** From the event. */
  readonly batchId: number;
  readonly treeSize: number;
  /** Latest block − the event's block + 1. */
  readonly confirmations: number;
  readonly requiredConfirmations: number;
  /** receipt: in the proof's transaction; logs: found by eth_getLogs (re-anchored in another transaction). */
  readonly foundBy: 'receipt' | 'logs';
}

export interface VerifyResult {
  readonly ok: boolean;
  readonly reason?: VerifyReason;
  readonly detail?: string;
  readonly record?: {
    readonly gateway: string;
    readonly seq: number;
    readonly kind: string;
    readonly device: string;
    readonly channel: string;
    readonly value: number | null;
    readonly unit: string;
    readonly quality: string;
    readonly exception: number | null;
    /** ISO 8601 from the record's ts. */
    readonly ts: string;
    readonly alarm?: { readonly rule: string; readonly level: string; readonly state: string; readonly threshold: number | null };
  };
  readonly leaf?: { readonly hash: string; readonly index: number; readonly treeSize: number };
  readonly batch?: { readonly id: number; readonly root: string; readonly treeSize: number };
  readonly anchor?: AnchorFacts;
  readonly warnings: readonly string[];
}
