import { AtalayaError, isAtalayaError } from '../../protocols/errors.ts';

/** An ack link whose signature does not verify (forged, altered, or signed with another relay key). */
export const ALERTS_ACK_TOKEN_INVALID = 'ATALAYA_ALERTS_ACK_TOKEN_INVALID';
/** An ack link past its expiry. */
export const ALERTS_ACK_TOKEN_EXPIRED = 'ATALAYA_ALERTS_ACK_TOKEN_EXPIRED';
/** An alert id that the store does not know. */
export const ALERTS_NOT_FOUND = 'ATALAYA_ALERTS_NOT_FOUND';
/** A message for a channel kind this relay has not configured: it waits, queued, for a relay that has. */
export const ALERTS_NO_CHANNEL = 'ATALAYA_ALERTS_NO_CHANNEL';
/** Coded delivery outcome when a channel breaks its contract and throws instead of answering. */
export const ALERTS_CHANNEL_THREW = 'ATALAYA_ALERTS_CHANNEL_THREW';
/** `notify test` named neither a configured channel kind nor a group. */
export const ALERTS_UNKNOWN_TARGET = 'ATALAYA_ALERTS_UNKNOWN_TARGET';

export type AlertsErrorCode = typeof ALERTS_ACK_TOKEN_INVALID | typeof ALERTS_ACK_TOKEN_EXPIRED | typeof ALERTS_NOT_FOUND | typeof ALERTS_UNKNOWN_TARGET;

export class AlertsError extends AtalayaError<AlertsErrorCode> {
  constructor(code: AlertsErrorCode, message: string, options: { cause?: unknown; details?: Record<string, unknown> } = {}) {
    super(code, message, options);
    this.name = 'AlertsError';
  }
}

export function isAlertsError(err: unknown, code?: AlertsErrorCode): err is AlertsError {
  return err instanceof AlertsError && isAtalayaError(err, code);
}
