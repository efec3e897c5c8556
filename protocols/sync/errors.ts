import { AtalayaError, isAtalayaError } from '../errors.ts';

/**
 * Stable codes of the sync codec (batch.ts, canonical.ts, signature.ts). The relay maps
 * MALFORMED to the refusal `malformed` and TOO_LARGE to `too_large` (types.ts INGEST_REFUSALS).
 */

/** Not a valid batch (bad gzip, bad UTF-8, bad JSON, wrong shape, index out of range, …); `details.reason` names the first problem. */
export const ATALAYA_SYNC_MALFORMED = 'ATALAYA_SYNC_MALFORMED';
/** More records than `maxRecords`, or a body that inflates past `maxInflatedBytes`. */
export const ATALAYA_SYNC_TOO_LARGE = 'ATALAYA_SYNC_TOO_LARGE';
/** A caller passed something that cannot be signed or used as a secret (a programming or config error, not a peer's). */
export const ATALAYA_SYNC_INVALID_ARGUMENT = 'ATALAYA_SYNC_INVALID_ARGUMENT';

export type SyncErrorCode = typeof ATALAYA_SYNC_MALFORMED | typeof ATALAYA_SYNC_TOO_LARGE | typeof ATALAYA_SYNC_INVALID_ARGUMENT;

export class SyncError extends AtalayaError<SyncErrorCode> {
  constructor(code: SyncErrorCode, message: string, options: { cause?: unknown; details?: Record<string, unknown> } = {}) {
    super(code, message, options);
    this.name = 'SyncError';
  }
}

export function isSyncError(err: unknown, code?: SyncErrorCode): err is SyncError {
  return err instanceof SyncError && isAtalayaError(err, code);
}

/** `reason` is safe to send back to the gateway: it names a path and a problem, never a secret. */
export function malformed(reason: string, cause?: unknown): SyncError {
  return new SyncError(ATALAYA_SYNC_MALFORMED, `malformed sync batch: ${reason}`, { cause, details: { reason } });
}

export function tooLarge(what: 'records' | 'inflated bytes', limit: number, cause?: unknown): SyncError {
  const reason = `more than ${limit} ${what}`;
  return new SyncError(ATALAYA_SYNC_TOO_LARGE, `sync batch too large: ${reason}`, { cause, details: { reason, what, limit } });
}

/** `what` names the argument; the message never carries its value (it may be a secret). */
export function invalidArgument(what: string, problem: string): SyncError {
  return new SyncError(ATALAYA_SYNC_INVALID_ARGUMENT, `${what}: ${problem}`, { details: { what, problem } });
}
