import { AtalayaError, isAtalayaError } from '../../protocols/errors.ts';

/**
 * Codes of the relay's DGA reporting (cloud/dga). DGA's own answers are never errors: they are
 * outcomes recorded on the submission (protocols/dga/outcome.ts). These are refusals of an
 * operator's command.
 */

/** The obra is not listed under dga.obras of the relay config. */
export const DGA_UNKNOWN_OBRA = 'ATALAYA_RELAY_DGA_UNKNOWN_OBRA';
/** No submission for that obra and slot (not derived yet, or not a slot of its standard). */
export const DGA_UNKNOWN_SLOT = 'ATALAYA_RELAY_DGA_UNKNOWN_SLOT';
/** retry of a slot DGA already accepted: never sent again (Res. 2.170 §6.3). */
export const DGA_ALREADY_ACCEPTED = 'ATALAYA_RELAY_DGA_ALREADY_ACCEPTED';
/** retry of a slot that is pending or being sent: it is already queued. */
export const DGA_NOT_RETRYABLE = 'ATALAYA_RELAY_DGA_NOT_RETRYABLE';
/** Credentials refused before storing: a malformed RUT (mod-11) or an empty password. */
export const DGA_CREDENTIALS_INVALID = 'ATALAYA_RELAY_DGA_CREDENTIALS_INVALID';
/** A slot argument that is neither an ISO 8601 instant with an offset nor epoch ms. */
export const DGA_INVALID_SLOT = 'ATALAYA_RELAY_DGA_INVALID_SLOT';
/** approve, correct or mark-missing of a slot that is not in review (HTTP 409). */
export const DGA_NOT_IN_REVIEW = 'ATALAYA_RELAY_DGA_NOT_IN_REVIEW';
/** A review action without its reason, or corrected values that are not numbers DGA can take; `details.field`. */
export const DGA_REVIEW_INVALID = 'ATALAYA_RELAY_DGA_REVIEW_INVALID';

export type RelayDgaErrorCode =
  | typeof DGA_UNKNOWN_OBRA
  | typeof DGA_UNKNOWN_SLOT
  | typeof DGA_ALREADY_ACCEPTED
  | typeof DGA_NOT_RETRYABLE
  | typeof DGA_CREDENTIALS_INVALID
  | typeof DGA_INVALID_SLOT
  | typeof DGA_NOT_IN_REVIEW
  | typeof DGA_REVIEW_INVALID;

export class RelayDgaError extends AtalayaError<RelayDgaErrorCode> {
  constructor(code: RelayDgaErrorCode, message: string, options: { cause?: unknown; details?: Record<string, unknown> } = {}) {
    super(code, message, options);
    this.name = 'RelayDgaError';
  }
}

export function isRelayDgaError(err: unknown, code?: RelayDgaErrorCode): err is RelayDgaError {
  return err instanceof RelayDgaError && isAtalayaError(err, code);
}

export function unknownObra(obra: string): RelayDgaError {
  return new RelayDgaError(DGA_UNKNOWN_OBRA, `obra ${obra} is not configured under dga.obras`, { details: { obra } });
}

export function unknownSlot(obra: string, slot: string): RelayDgaError {
  return new RelayDgaError(DGA_UNKNOWN_SLOT, `obra ${obra} has no submission for slot ${slot}`, { details: { obra, slot } });
}

export function alreadyAccepted(obra: string, slot: string): RelayDgaError {
  return new RelayDgaError(DGA_ALREADY_ACCEPTED, `obra ${obra} slot ${slot} was accepted by DGA; it is never sent again`, { details: { obra, slot } });
}

export function notRetryable(obra: string, slot: string, state: string): RelayDgaError {
  return new RelayDgaError(DGA_NOT_RETRYABLE, `obra ${obra} slot ${slot} is ${state}: nothing to retry`, { details: { obra, slot, state } });
}

/** `field` names the argument; the value itself (a RUT, a password) is never echoed. */
export function credentialsInvalid(field: string, reason: string, cause?: unknown): RelayDgaError {
  return new RelayDgaError(DGA_CREDENTIALS_INVALID, `${field}: ${reason}`, { cause, details: { field } });
}

export function invalidSlot(text: string): RelayDgaError {
  return new RelayDgaError(DGA_INVALID_SLOT, `slot '${text}': expected an ISO 8601 instant with an offset (2025-06-16T10:00:00-04:00) or epoch ms`, {
    details: { slot: text },
  });
}

export function notInReview(obra: string, slot: string, state: string): RelayDgaError {
  return new RelayDgaError(DGA_NOT_IN_REVIEW, `obra ${obra} slot ${slot} is ${state}, not in review`, { details: { obra, slot, state } });
}

export function reviewInvalid(field: string, reason: string, cause?: unknown): RelayDgaError {
  return new RelayDgaError(DGA_REVIEW_INVALID, `${field}: ${reason}`, { cause, details: { field } });
}
