import { AtalayaError, isAtalayaError } from '../protocols/errors.ts';

/** A part's stop() threw or rejected; `cause` holds its error, details.part its name. */
export const PLATFORM_PART_STOP_FAILED = 'ATALAYA_PLATFORM_PART_STOP_FAILED';
/** A part's stop() did not settle within the deadline; the next part was stopped anyway. */
export const PLATFORM_PART_STOP_TIMEOUT = 'ATALAYA_PLATFORM_PART_STOP_TIMEOUT';
/** stop() stopped every part, but some failed or timed out; details.parts names them, `cause` holds the first. */
export const PLATFORM_STOP_FAILED = 'ATALAYA_PLATFORM_STOP_FAILED';
/** start() on a lifecycle that is stopping. */
export const PLATFORM_STOPPING = 'ATALAYA_PLATFORM_STOPPING';
/** A secret file named in the config could not be read; details.file and details.errno say which and why. */
export const PLATFORM_SECRET_FILE_UNREADABLE = 'ATALAYA_PLATFORM_SECRET_FILE_UNREADABLE';

export type PlatformErrorCode =
  | typeof PLATFORM_PART_STOP_FAILED
  | typeof PLATFORM_PART_STOP_TIMEOUT
  | typeof PLATFORM_STOP_FAILED
  | typeof PLATFORM_STOPPING
  | typeof PLATFORM_SECRET_FILE_UNREADABLE;

export class PlatformError extends AtalayaError<PlatformErrorCode> {
  constructor(code: PlatformErrorCode, message: string, options: { cause?: unknown; details?: Record<string, unknown> } = {}) {
    super(code, message, options);
    this.name = 'PlatformError';
  }
}

export function isPlatformError(err: unknown, code?: PlatformErrorCode): err is PlatformError {
  return err instanceof PlatformError && isAtalayaError(err, code);
}

export function partStopFailed(part: string, cause: unknown): PlatformError {
  return new PlatformError(PLATFORM_PART_STOP_FAILED, `stopping ${part} failed`, { cause, details: { part } });
}

export function partStopTimeout(part: string, deadlineMs: number): PlatformError {
  return new PlatformError(PLATFORM_PART_STOP_TIMEOUT, `stopping ${part} took longer than ${deadlineMs} ms`, { details: { part, deadlineMs } });
}

export function stopFailed(failures: readonly PlatformError[]): PlatformError {
  const parts = failures.map((f) => f.details?.['part']);
  return new PlatformError(PLATFORM_STOP_FAILED, `every part was stopped, but ${parts.join(', ')} failed`, { cause: failures[0], details: { parts } });
}

export function stopping(part: string): PlatformError {
  return new PlatformError(PLATFORM_STOPPING, `cannot start ${part}: stopping`, { details: { part } });
}

export function secretFileUnreadable(file: string, cause: unknown): PlatformError {
  const errno = (cause as NodeJS.ErrnoException | null)?.code ?? 'error';
  return new PlatformError(PLATFORM_SECRET_FILE_UNREADABLE, `${file}: cannot read (${errno})`, { cause, details: { file, errno } });
}
