import { AtalayaError, isAtalayaError } from '../../protocols/errors.ts';

/**
 * Codes of the relay's provider sources (cloud/providers). What a provider sends that we cannot
 * use is not an error: it is a problem counted per source and reason (problems.ts). These are
 * refusals of an operator's command and a provider's answers a pull cannot use.
 */

/** `source add` with an id outside the id pattern or a kind that is not tts, tago or http. */
export const SOURCE_INVALID = 'ATALAYA_SOURCE_INVALID';
/** `source add` of an id already provisioned. */
export const SOURCE_EXISTS = 'ATALAYA_SOURCE_EXISTS';
/** A configured source has no secret: neither its variable nor its file gives one. */
export const SOURCE_SECRET_MISSING = 'ATALAYA_SOURCE_SECRET_MISSING';
/** A pull got an answer other than 2xx, or none (details.status, cause): retried with back-off. */
export const SOURCE_PULL_FAILED = 'ATALAYA_SOURCE_PULL_FAILED';
/** A pull's answer is not what the provider's API returns (not JSON, no result array): retried with back-off. */
export const SOURCE_PULL_MALFORMED = 'ATALAYA_SOURCE_PULL_MALFORMED';

export type SourceErrorCode =
  | typeof SOURCE_INVALID
  | typeof SOURCE_EXISTS
  | typeof SOURCE_SECRET_MISSING
  | typeof SOURCE_PULL_FAILED
  | typeof SOURCE_PULL_MALFORMED;

export function sourceError(
  code: SourceErrorCode,
  message: string,
  options: { cause?: unknown; details?: Record<string, unknown> } = {},
): AtalayaError<SourceErrorCode> {
  return new AtalayaError(code, message, options);
}

export function isSourceError(err: unknown, code?: SourceErrorCode): err is AtalayaError<SourceErrorCode> {
  return isAtalayaError(err) && err.code.startsWith('ATALAYA_SOURCE_') && (code === undefined || err.code === code);
}
