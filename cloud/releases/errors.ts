import { AtalayaError, isAtalayaError } from '../../protocols/errors.ts';

/** Stable codes of the relay's release hosting (cloud/releases). Signature and content checks use protocols/release's codes. */

/** A configured release public key (releases.publicKeys[i]) is unreadable or not an ed25519 public key. */
export const RELEASES_KEY_UNREADABLE = 'ATALAYA_RELEASES_KEY_UNREADABLE';
/** That version is hosted already with other content: versions are immutable. */
export const RELEASES_VERSION_EXISTS = 'ATALAYA_RELEASES_VERSION_EXISTS';
/** A rollout names a version the relay does not host. */
export const RELEASES_UNKNOWN_VERSION = 'ATALAYA_RELEASES_UNKNOWN_VERSION';
/** Release hosting is off (releases.enabled false, or no public key configured). */
export const RELEASES_DISABLED = 'ATALAYA_RELEASES_DISABLED';

export type ReleasesErrorCode = typeof RELEASES_KEY_UNREADABLE | typeof RELEASES_VERSION_EXISTS | typeof RELEASES_UNKNOWN_VERSION | typeof RELEASES_DISABLED;

export class ReleasesError extends AtalayaError<ReleasesErrorCode> {
  constructor(code: ReleasesErrorCode, message: string, options: { cause?: unknown; details?: Record<string, unknown> } = {}) {
    super(code, message, options);
    this.name = 'ReleasesError';
  }
}

export function isReleasesError(err: unknown, code?: ReleasesErrorCode): err is ReleasesError {
  return err instanceof ReleasesError && isAtalayaError(err, code);
}
