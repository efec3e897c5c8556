import { AtalayaError } from '../protocols/errors.ts';

/** address, store, dga or anchor asked of a relay that is not started (or already stopped). */
export const RELAY_NOT_RUNNING = 'ATALAYA_RELAY_NOT_RUNNING';
/** The HTTP listener could not bind (address in use, privileged port, unknown host); details.errno says why. */
export const LISTEN_FAILED = 'ATALAYA_RELAY_LISTEN_FAILED';

/** The relay key (ATALAYA_RELAY_KEY or keyFile) is not set, not 32 bytes of base64, or not readable. */
export const KEY_MISSING = 'ATALAYA_RELAY_KEY_MISSING';
export const KEY_INVALID = 'ATALAYA_RELAY_KEY_INVALID';
export const KEY_UNREADABLE = 'ATALAYA_RELAY_KEY_UNREADABLE';
/** Wrong relay key, or a ciphertext that was altered. */
export const SECRET_UNDECRYPTABLE = 'ATALAYA_RELAY_SECRET_UNDECRYPTABLE';
export type SecretErrorCode = typeof KEY_MISSING | typeof KEY_INVALID | typeof KEY_UNREADABLE | typeof SECRET_UNDECRYPTABLE;

export type RelayErrorCode = typeof RELAY_NOT_RUNNING | typeof LISTEN_FAILED;

export function notRunning(): AtalayaError<RelayErrorCode> {
  return new AtalayaError(RELAY_NOT_RUNNING, 'the relay is not running');
}

export function listenFailed(host: string, port: number, cause: unknown): AtalayaError<RelayErrorCode> {
  const errno = (cause as NodeJS.ErrnoException | null)?.code ?? 'error';
  return new AtalayaError(LISTEN_FAILED, `cannot listen on ${host}:${port} (${errno})`, { cause, details: { errno } });
}
