import { AtalayaError } from '../protocols/errors.ts';

/** address, store, dga or anchor asked of a relay that is not started (or already stopped). */
export const RELAY_NOT_RUNNING = 'ATALAYA_RELAY_NOT_RUNNING';
/** The HTTP listener could not bind (address in use, privileged port, unknown host); details.errno says why. */
export const LISTEN_FAILED = 'ATALAYA_RELAY_LISTEN_FAILED';

export type RelayErrorCode = typeof RELAY_NOT_RUNNING | typeof LISTEN_FAILED;

export function notRunning(): AtalayaError<RelayErrorCode> {
  return new AtalayaError(RELAY_NOT_RUNNING, 'the relay is not running');
}

export function listenFailed(host: string, port: number, cause: unknown): AtalayaError<RelayErrorCode> {
  const errno = (cause as NodeJS.ErrnoException | null)?.code ?? 'error';
  return new AtalayaError(LISTEN_FAILED, `cannot listen on ${host}:${port} (${errno})`, { cause, details: { errno } });
}
