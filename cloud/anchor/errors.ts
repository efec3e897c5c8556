import { AtalayaError } from '../../protocols/errors.ts';

/**
 * Stable codes of the relay's Ethereum anchoring (cloud/anchor). The pure Merkle code has its
 * own (protocols/anchor/errors.ts). `details.reason` says which step failed; callers branch on
 * the code (and reason), never on the message. An ethers error, when one caused it, is `cause`.
 */

/** Deploying AtalayaAnchor failed: not sent, reverted, no receipt in time, or the code or owner is not what was deployed. */
export const ATALAYA_ANCHOR_DEPLOY_FAILED = 'ATALAYA_ANCHOR_DEPLOY_FAILED';

/** No signing key: neither ATALAYA_ANCHOR_KEY nor anchor.keyFile gives one. */
export const ATALAYA_ANCHOR_KEY_MISSING = 'ATALAYA_ANCHOR_KEY_MISSING';
/** The key is not 32 bytes of hex, or its file cannot be read. */
export const ATALAYA_ANCHOR_KEY_INVALID = 'ATALAYA_ANCHOR_KEY_INVALID';
/** The node answered another chain id than anchor.chainId: nothing is signed for it. */
export const ATALAYA_ANCHOR_WRONG_CHAIN = 'ATALAYA_ANCHOR_WRONG_CHAIN';
/** A JSON-RPC request failed (node down, timeout, error answer); details.rpcCode has the ethers code. */
export const ATALAYA_ANCHOR_RPC_FAILED = 'ATALAYA_ANCHOR_RPC_FAILED';
/** The market fee exceeds anchor.maxFeeGwei: the batch waits. */
export const ATALAYA_ANCHOR_FEE_TOO_HIGH = 'ATALAYA_ANCHOR_FEE_TOO_HIGH';
/** The anchor call would revert or did (the key is not the contract's owner, wrong contract): nothing is signed. */
export const ATALAYA_ANCHOR_TX_REVERTED = 'ATALAYA_ANCHOR_TX_REVERTED';
/** A transaction's nonce was consumed by a transaction that is not ours: the batch is signed again with a new nonce. */
export const ATALAYA_ANCHOR_NONCE_TAKEN = 'ATALAYA_ANCHOR_NONCE_TAKEN';
/** A reorg removed an anchoring block: the batch is anchored again. */
export const ATALAYA_ANCHOR_REORG = 'ATALAYA_ANCHOR_REORG';
/** A broadcast transaction was not mined within anchor.replaceAfterMs: replaced with higher fees. */
export const ATALAYA_ANCHOR_TX_STUCK = 'ATALAYA_ANCHOR_TX_STUCK';
/** Anchoring is not configured (anchor.enabled false) for a command that needs it. */
export const ATALAYA_ANCHOR_DISABLED = 'ATALAYA_ANCHOR_DISABLED';
/** Anything else that failed in a tick (a bug, a database error); logged to anchor_errors and retried. */
export const ATALAYA_ANCHOR_INTERNAL = 'ATALAYA_ANCHOR_INTERNAL';
/** A batch's root recomputed from stored records differs from the stored one or from the chain's. */
export const ATALAYA_ANCHOR_ROOT_MISMATCH = 'ATALAYA_ANCHOR_ROOT_MISMATCH';
/** GET /v1/proofs: the relay has no record with that gateway and seq (proofs.ts). */
export const PROOF_NOT_FOUND = 'ATALAYA_ANCHOR_PROOF_NOT_FOUND';
/** GET /v1/proofs: the record exists but its batch is not (yet) in a block; details.status says where it is. */
export const PROOF_NOT_ANCHORED = 'ATALAYA_ANCHOR_PROOF_NOT_ANCHORED';
/** `npm run contract`: the compiler reported an error, or its output lacks the contract (contract/compile.ts). */
export const CONTRACT_COMPILE_FAILED = 'ATALAYA_ANCHOR_CONTRACT_COMPILE_FAILED';

export function anchorError(code: string, message: string, options: { cause?: unknown; details?: Record<string, unknown> } = {}): AtalayaError {
  return new AtalayaError(code, message, options);
}
