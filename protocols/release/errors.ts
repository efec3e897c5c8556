import { AtalayaError, isAtalayaError } from '../errors.ts';

/** Stable codes of release manifests, their signatures and rollout decisions (manifest.ts, signature.ts). */

/** A manifest is not the expected JSON shape (version, file, size, sha256, created_at). */
export const RELEASE_MANIFEST_INVALID = 'ATALAYA_RELEASE_MANIFEST_INVALID';
/** A manifest's ed25519 signature does not verify against any trusted release public key. */
export const RELEASE_SIGNATURE_INVALID = 'ATALAYA_RELEASE_SIGNATURE_INVALID';
/** A key (PEM) is not an ed25519 key of the expected kind (private to sign, public to verify). */
export const RELEASE_KEY_INVALID = 'ATALAYA_RELEASE_KEY_INVALID';
/** A tarball does not match its manifest: size or sha256 differ. */
export const RELEASE_CONTENT_MISMATCH = 'ATALAYA_RELEASE_CONTENT_MISMATCH';

export type ReleaseProtocolErrorCode =
  | typeof RELEASE_MANIFEST_INVALID
  | typeof RELEASE_SIGNATURE_INVALID
  | typeof RELEASE_KEY_INVALID
  | typeof RELEASE_CONTENT_MISMATCH;

export class ReleaseProtocolError extends AtalayaError<ReleaseProtocolErrorCode> {
  constructor(code: ReleaseProtocolErrorCode, message: string, options: { cause?: unknown; details?: Record<string, unknown> } = {}) {
    super(code, message, options);
    this.name = 'ReleaseProtocolError';
  }
}

export function isReleaseProtocolError(err: unknown, code?: ReleaseProtocolErrorCode): err is ReleaseProtocolError {
  return err instanceof ReleaseProtocolError && isAtalayaError(err, code);
}
