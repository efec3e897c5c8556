import { AtalayaError, isAtalayaError } from '../errors.ts';

/** Stable codes of the pure notification helpers (webhook-signature.ts). */

/** A caller passed something that cannot be signed (an empty secret, a negative timestamp): a programming or config error. */
export const NOTIFY_INVALID_ARGUMENT = 'ATALAYA_NOTIFY_INVALID_ARGUMENT';

export type NotifyProtocolErrorCode = typeof NOTIFY_INVALID_ARGUMENT;

export class NotifyProtocolError extends AtalayaError<NotifyProtocolErrorCode> {
  constructor(code: NotifyProtocolErrorCode, message: string, options: { cause?: unknown; details?: Record<string, unknown> } = {}) {
    super(code, message, options);
    this.name = 'NotifyProtocolError';
  }
}

export function isNotifyProtocolError(err: unknown, code?: NotifyProtocolErrorCode): err is NotifyProtocolError {
  return err instanceof NotifyProtocolError && isAtalayaError(err, code);
}

/** `what` names the argument; the message never carries its value (it may be a secret). */
export function invalidArgument(what: string, problem: string): NotifyProtocolError {
  return new NotifyProtocolError(NOTIFY_INVALID_ARGUMENT, `${what}: ${problem}`, { details: { what, problem } });
}
