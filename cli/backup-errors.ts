import { AtalayaError, isAtalayaError } from '../protocols/errors.ts';
import type {
  BACKUP_DEST_EXISTS,
  BACKUP_INTEGRITY_FAILED,
  BACKUP_IO_FAILED,
  BACKUP_SCHEMA_TOO_NEW,
  BACKUP_SOURCE_MISSING,
  BACKUP_TARGET_EXISTS,
  BACKUP_TARGET_IN_USE,
  BACKUP_WRONG_KIND,
} from './errors.ts';

export type BackupErrorCode =
  | typeof BACKUP_SOURCE_MISSING
  | typeof BACKUP_DEST_EXISTS
  | typeof BACKUP_INTEGRITY_FAILED
  | typeof BACKUP_WRONG_KIND
  | typeof BACKUP_SCHEMA_TOO_NEW
  | typeof BACKUP_TARGET_EXISTS
  | typeof BACKUP_TARGET_IN_USE
  | typeof BACKUP_IO_FAILED;

export class BackupError extends AtalayaError<BackupErrorCode> {
  constructor(code: BackupErrorCode, message: string, options: { cause?: unknown; details?: Record<string, unknown> } = {}) {
    super(code, message, options);
    this.name = 'BackupError';
  }
}

export function isBackupError(err: unknown, code?: BackupErrorCode): err is BackupError {
  return err instanceof BackupError && isAtalayaError(err, code);
}

export function backupError(code: BackupErrorCode, message: string, details: Record<string, unknown>, cause?: unknown): BackupError {
  return new BackupError(code, message, cause === undefined ? { details } : { cause, details });
}
