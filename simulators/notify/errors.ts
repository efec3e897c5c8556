import { AtalayaError } from '../../protocols/errors.ts';

/** Stable codes of the notification double (SMTP catcher, webhook receiver, SMS provider, Telegram). */

/** A listener could not be opened (address in use, permission denied). */
export const ATALAYA_NOTIFY_SIM_LISTEN = 'ATALAYA_NOTIFY_SIM_LISTEN';
/** The self-signed certificate for STARTTLS could not be made (openssl missing or failing). */
export const ATALAYA_NOTIFY_SIM_CERT = 'ATALAYA_NOTIFY_SIM_CERT';

export type NotifySimErrorCode = typeof ATALAYA_NOTIFY_SIM_LISTEN | typeof ATALAYA_NOTIFY_SIM_CERT;

export function notifySimListenFailed(what: string, cause: unknown): AtalayaError<NotifySimErrorCode> {
  const errno = (cause as NodeJS.ErrnoException | null)?.code ?? 'error';
  return new AtalayaError(ATALAYA_NOTIFY_SIM_LISTEN, `${what}: cannot listen (${errno})`, { cause, details: { what, errno } });
}

export function notifySimCertFailed(cause: unknown): AtalayaError<NotifySimErrorCode> {
  return new AtalayaError(ATALAYA_NOTIFY_SIM_CERT, 'cannot make a self-signed certificate with openssl', { cause });
}
