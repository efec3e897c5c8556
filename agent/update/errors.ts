import { AtalayaError, isAtalayaError } from '../../protocols/errors.ts';

/** Stable codes of the agent's over-the-air updater (agent/update). */

/** The download stopped before the end (connection cut, timeout, relay error): the `.part` file is kept and resumed next time. */
export const UPDATE_DOWNLOAD_FAILED = 'ATALAYA_UPDATE_DOWNLOAD_FAILED';
/** The release's files could not be unpacked or put in place (tar failed, no atalaya/package.json, version differs, disk full). */
export const UPDATE_INSTALL_FAILED = 'ATALAYA_UPDATE_INSTALL_FAILED';
/** The relay's answer does not match its own signed manifest (version, size or sha256). */
export const UPDATE_ANSWER_MISMATCH = 'ATALAYA_UPDATE_ANSWER_MISMATCH';
/** The new version did not confirm its health (a record stored, or the relay reached) within update.confirmDeadlineS. */
export const UPDATE_UNHEALTHY = 'ATALAYA_UPDATE_UNHEALTHY';
/** The new version did not stay up for update.maxStarts starts (written by deploy/pi/boot-check.sh). */
export const UPDATE_CRASHED = 'ATALAYA_UPDATE_CRASHED';
/** An update failed in a way none of the other codes names (a bug): the log line has the error. */
export const UPDATE_FAILED = 'ATALAYA_UPDATE_FAILED';
/** update.publicKey is neither a PEM ed25519 public key nor a readable file holding one. */
export const UPDATE_KEY_UNREADABLE = 'ATALAYA_UPDATE_KEY_UNREADABLE';

export type UpdateErrorCode =
  | typeof UPDATE_DOWNLOAD_FAILED
  | typeof UPDATE_INSTALL_FAILED
  | typeof UPDATE_ANSWER_MISMATCH
  | typeof UPDATE_UNHEALTHY
  | typeof UPDATE_CRASHED
  | typeof UPDATE_KEY_UNREADABLE
  | typeof UPDATE_FAILED;

export class UpdateError extends AtalayaError<UpdateErrorCode> {
  constructor(code: UpdateErrorCode, message: string, options: { cause?: unknown; details?: Record<string, unknown> } = {}) {
    super(code, message, options);
    this.name = 'UpdateError';
  }
}

export function isUpdateError(err: unknown, code?: UpdateErrorCode): err is UpdateError {
  return err instanceof UpdateError && isAtalayaError(err, code);
}
