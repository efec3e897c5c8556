import { AtalayaError, isAtalayaError } from '../../protocols/errors.ts';

/**
 * Stable codes of the notification channels. Most are outcome codes (DeliveryOutcome.code): a
 * channel never throws from send(). The retry column says what the channel reports.
 */

/** SMTP: the server refused the credentials (535) or the login failed. Retryable: a password may be fixed without losing the message. */
export const NOTIFY_SMTP_AUTH = 'ATALAYA_NOTIFY_SMTP_AUTH';
/** SMTP: no connection, TLS handshake failed, or no answer within the timeout. Retryable. */
export const NOTIFY_SMTP_UNREACHABLE = 'ATALAYA_NOTIFY_SMTP_UNREACHABLE';
/** SMTP: a 5xx to RCPT or DATA (no such mailbox, policy): not retryable. */
export const NOTIFY_SMTP_REJECTED = 'ATALAYA_NOTIFY_SMTP_REJECTED';
/** SMTP: a 4xx (greylisting, mailbox busy) or another transient failure. Retryable. */
export const NOTIFY_SMTP_DEFERRED = 'ATALAYA_NOTIFY_SMTP_DEFERRED';
/** HTTP (webhook, SMS provider, Telegram): 408, 429 or 5xx. Retryable; retryAfterMs from Retry-After. */
export const NOTIFY_HTTP_RETRY = 'ATALAYA_NOTIFY_HTTP_RETRY';
/** HTTP: another 4xx (bad request, unknown number, gone). Not retryable. */
export const NOTIFY_HTTP_REJECTED = 'ATALAYA_NOTIFY_HTTP_REJECTED';
/** HTTP: 401 or 403, the credentials (token, SID) are refused. Not retryable. */
export const NOTIFY_HTTP_AUTH = 'ATALAYA_NOTIFY_HTTP_AUTH';
/** HTTP: connection refused, reset, DNS, TLS, or no complete answer within the timeout. Retryable. */
export const NOTIFY_HTTP_UNREACHABLE = 'ATALAYA_NOTIFY_HTTP_UNREACHABLE';
/** The address does not fit the channel (not an email address, an E.164 number, an http(s) URL, a chat id). Not retryable. */
export const NOTIFY_BAD_ADDRESS = 'ATALAYA_NOTIFY_BAD_ADDRESS';
/** send() after close(). Retryable (another process, or this one after a restart, can send it). */
export const NOTIFY_CLOSED = 'ATALAYA_NOTIFY_CLOSED';
/** Thrown when channels are built: the email channel's caFile cannot be read (details.file, details.errno). */
export const NOTIFY_CA_UNREADABLE = 'ATALAYA_NOTIFY_CA_UNREADABLE';
/** Thrown when channels are built: a channel needs a secret (SMS token, bot token) and none was found. */
export const NOTIFY_SECRET_MISSING = 'ATALAYA_NOTIFY_SECRET_MISSING';

export type NotifyErrorCode = typeof NOTIFY_SECRET_MISSING | typeof NOTIFY_CA_UNREADABLE;

export class NotifyError extends AtalayaError<NotifyErrorCode> {
  constructor(code: NotifyErrorCode, message: string, options: { cause?: unknown; details?: Record<string, unknown> } = {}) {
    super(code, message, options);
    this.name = 'NotifyError';
  }
}

export function isNotifyError(err: unknown, code?: NotifyErrorCode): err is NotifyError {
  return err instanceof NotifyError && isAtalayaError(err, code);
}

/** Names where the secret was looked for (the variable and the file), never a secret. */
export function secretMissing(channel: string, envName: string, file: string | undefined): NotifyError {
  const where = file === undefined ? envName : `${envName} or ${file}`;
  return new NotifyError(NOTIFY_SECRET_MISSING, `notify ${channel}: no secret in ${where}`, { details: { channel, envName, file } });
}

export function caUnreadable(file: string, cause: unknown): NotifyError {
  const errno = (cause as NodeJS.ErrnoException | null)?.code ?? 'error';
  return new NotifyError(NOTIFY_CA_UNREADABLE, `notify email: ${file}: cannot read (${errno})`, { cause, details: { file, errno } });
}
