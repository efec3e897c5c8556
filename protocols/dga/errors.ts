import { AtalayaError, isAtalayaError } from '../errors.ts';

/**
 * Stable codes of the DGA codecs (protocols/dga). All of them are refusals to build a payload from
 * what the caller gave; DGA's own answers are never errors here but outcomes (outcome.ts).
 */

/** A measurement value cannot be sent as DGA requires (negative, too long, not a number…); `details.field` and `details.reason` say which and why. */
export const ATALAYA_DGA_VALUE = 'ATALAYA_DGA_VALUE';
/** A RUT is malformed or its mod-11 check digit is wrong; `details.field`, `details.reason` (`format` | `check-digit`). */
export const ATALAYA_DGA_RUT = 'ATALAYA_DGA_RUT';
/** An obra code does not match `^O[BR]-\d{4}-\d+$` with a correlative ≥ 1 (Manual Técnico N°1/2025 §5.2). */
export const ATALAYA_DGA_OBRA = 'ATALAYA_DGA_OBRA';
/** A time is not a finite epoch in range, or a measurement lies after its send time. */
export const ATALAYA_DGA_TIME = 'ATALAYA_DGA_TIME';
/** Any other bad argument: empty password, malformed receipt, unknown work kind or standard. */
export const ATALAYA_DGA_ARGUMENT = 'ATALAYA_DGA_ARGUMENT';
/** The interface cannot carry this measurement (the legacy SOAP service has no surface-with-flowmeter shape). */
export const ATALAYA_DGA_UNSUPPORTED = 'ATALAYA_DGA_UNSUPPORTED';

export type DgaErrorCode =
  | typeof ATALAYA_DGA_VALUE
  | typeof ATALAYA_DGA_RUT
  | typeof ATALAYA_DGA_OBRA
  | typeof ATALAYA_DGA_TIME
  | typeof ATALAYA_DGA_ARGUMENT
  | typeof ATALAYA_DGA_UNSUPPORTED;

export class DgaError extends AtalayaError<DgaErrorCode> {
  constructor(code: DgaErrorCode, message: string, options: { cause?: unknown; details?: Record<string, unknown> } = {}) {
    super(code, message, options);
    this.name = 'DgaError';
  }
}

export function isDgaError(err: unknown, code?: DgaErrorCode): err is DgaError {
  return err instanceof DgaError && isAtalayaError(err, code);
}

/** `value` is a measurement, never a secret, so it may be logged. */
export function valueError(field: string, reason: string, value?: unknown): DgaError {
  return new DgaError(ATALAYA_DGA_VALUE, `${field}: ${reason}`, { details: { field, reason, value } });
}

/** The RUT itself is kept out of the message and details: it identifies a person. */
export function rutError(field: string, reason: 'format' | 'check-digit'): DgaError {
  const text = reason === 'format' ? 'not a RUT (digits, dash, check digit 0-9 or K)' : 'wrong check digit (mod 11)';
  return new DgaError(ATALAYA_DGA_RUT, `${field}: ${text}`, { details: { field, reason } });
}

export function obraError(code: unknown, reason: string): DgaError {
  return new DgaError(ATALAYA_DGA_OBRA, `obra code ${JSON.stringify(code)}: ${reason}`, { details: { code, reason } });
}

export function timeError(field: string, reason: string, value?: unknown): DgaError {
  return new DgaError(ATALAYA_DGA_TIME, `${field}: ${reason}`, { details: { field, reason, value } });
}

/** `what` names the argument; its value is not echoed (it may be a password). */
export function argumentError(what: string, reason: string): DgaError {
  return new DgaError(ATALAYA_DGA_ARGUMENT, `${what}: ${reason}`, { details: { what, reason } });
}

export function unsupported(what: string, reason: string): DgaError {
  return new DgaError(ATALAYA_DGA_UNSUPPORTED, `${what}: ${reason}`, { details: { what, reason } });
}
