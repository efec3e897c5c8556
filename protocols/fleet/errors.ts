import { AtalayaError, isAtalayaError } from '../errors.ts';

/**
 * Stable codes of the fleet channel (protocols/fleet): the poll a gateway sends and the signed
 * answer the relay gives. The relay maps MALFORMED and TOO_LARGE to the ingest refusals
 * `malformed` (400) and `too_large` (413); the agent counts an answer it cannot trust.
 */

/** A poll or an answer that is not the v1 shape (bad gzip, bad JSON, wrong fields); `details.reason` names the first problem. */
export const ATALAYA_FLEET_MALFORMED = 'ATALAYA_FLEET_MALFORMED';
/** A poll that inflates past the relay's limit. */
export const ATALAYA_FLEET_TOO_LARGE = 'ATALAYA_FLEET_TOO_LARGE';
/** An answer without the relay's signature, with a bad one, or signed for another request's nonce: discarded. */
export const ATALAYA_FLEET_ANSWER_UNSIGNED = 'ATALAYA_FLEET_ANSWER_UNSIGNED';

/** A fleet part (agent or relay) registered with a name that is not a PART_NAME, or one already taken: a wiring error. */
export const ATALAYA_FLEET_PART_INVALID = 'ATALAYA_FLEET_PART_INVALID';

export type FleetErrorCode =
  | typeof ATALAYA_FLEET_MALFORMED
  | typeof ATALAYA_FLEET_TOO_LARGE
  | typeof ATALAYA_FLEET_ANSWER_UNSIGNED
  | typeof ATALAYA_FLEET_PART_INVALID;

export class FleetError extends AtalayaError<FleetErrorCode> {
  constructor(code: FleetErrorCode, message: string, options: { cause?: unknown; details?: Record<string, unknown> } = {}) {
    super(code, message, options);
    this.name = 'FleetError';
  }
}

export function isFleetError(err: unknown, code?: FleetErrorCode): err is FleetError {
  return err instanceof FleetError && isAtalayaError(err, code);
}

/** `reason` names a path and a problem, never a value: safe to send back to the gateway. */
export function fleetMalformed(what: 'poll' | 'answer', reason: string, cause?: unknown): FleetError {
  return new FleetError(ATALAYA_FLEET_MALFORMED, `malformed fleet ${what}: ${reason}`, { cause, details: { what, reason } });
}

export function fleetTooLarge(limit: number, cause?: unknown): FleetError {
  return new FleetError(ATALAYA_FLEET_TOO_LARGE, `fleet poll too large: more than ${limit} inflated bytes`, { cause, details: { limit } });
}

export function answerUnsigned(reason: 'status' | 'unsigned' | 'signature'): FleetError {
  return new FleetError(ATALAYA_FLEET_ANSWER_UNSIGNED, `fleet answer discarded: ${reason}`, { details: { reason } });
}

export function partInvalid(name: string): FleetError {
  return new FleetError(ATALAYA_FLEET_PART_INVALID, `fleet part '${name}': not a part name (a-z, 0-9, -, 1..32) or already registered`, { details: { name } });
}
