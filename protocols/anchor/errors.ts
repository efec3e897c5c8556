import { AtalayaError, isAtalayaError } from '../errors.ts';

/**
 * Stable codes of the pure Merkle code (tree.ts, proof.ts). A proof that simply does not verify
 * is not an error: verifyInclusion returns false.
 */

/** A caller passed something the tree cannot use: a leaf that is not bytes, an index outside the tree, … (a programming error). */
export const ATALAYA_ANCHOR_INVALID_ARGUMENT = 'ATALAYA_ANCHOR_INVALID_ARGUMENT';
/** A serialized inclusion proof has the wrong shape; `details.reason` names the first problem with its path. */
export const ATALAYA_ANCHOR_MALFORMED_PROOF = 'ATALAYA_ANCHOR_MALFORMED_PROOF';

export type AnchorErrorCode = typeof ATALAYA_ANCHOR_INVALID_ARGUMENT | typeof ATALAYA_ANCHOR_MALFORMED_PROOF;

export class AnchorError extends AtalayaError<AnchorErrorCode> {
  constructor(code: AnchorErrorCode, message: string, options: { cause?: unknown; details?: Record<string, unknown> } = {}) {
    super(code, message, options);
    this.name = 'AnchorError';
  }
}

export function isAnchorError(err: unknown, code?: AnchorErrorCode): err is AnchorError {
  return err instanceof AnchorError && isAtalayaError(err, code);
}

export function invalidArgument(what: string, problem: string): AnchorError {
  return new AnchorError(ATALAYA_ANCHOR_INVALID_ARGUMENT, `${what}: ${problem}`, { details: { what, problem } });
}

/** `reason` is safe to show to whoever sent the proof: a path and a problem. */
export function malformedProof(reason: string, cause?: unknown): AnchorError {
  return new AnchorError(ATALAYA_ANCHOR_MALFORMED_PROOF, `malformed inclusion proof: ${reason}`, { cause, details: { reason } });
}
