import { AtalayaError } from '../../protocols/errors.ts';

/**
 * A message did not reach the service manager: `systemd-notify` missing (`cause` ENOENT), or it
 * exited non-zero (`details.exitCode`, `details.stderr`). The agent keeps running; a missed
 * WATCHDOG=1 is what systemd acts on.
 */
export const SYSTEM_NOTIFY_FAILED = 'ATALAYA_SYSTEM_NOTIFY_FAILED';

export type SystemErrorCode = typeof SYSTEM_NOTIFY_FAILED;

export class SystemError extends AtalayaError<SystemErrorCode> {
  constructor(code: SystemErrorCode, message: string, options: { cause?: unknown; details?: Record<string, unknown> } = {}) {
    super(code, message, options);
    this.name = 'SystemError';
  }
}
