import { AtalayaError, isAtalayaError } from '../../protocols/errors.ts';
import type { RecordProblem } from '../../protocols/records-errors.ts';
import { recordInvalid } from '../../protocols/records-errors.ts';

/** append/read/release on a buffer that is not started, is stopping or is stopped. */
export const BUFFER_CLOSED = 'ATALAYA_BUFFER_CLOSED';
/** A group commit failed (disk full, I/O error, …); `cause` holds the SQLite error. */
export const BUFFER_WRITE_FAILED = 'ATALAYA_BUFFER_WRITE_FAILED';
/** The file or its pragmas could not be opened/set; `cause` holds the SQLite or fs error. */
export const BUFFER_OPEN_FAILED = 'ATALAYA_BUFFER_OPEN_FAILED';
/** The file was written by a newer agent (user_version above what this build knows): never downgraded. */
export const BUFFER_SCHEMA_TOO_NEW = 'ATALAYA_BUFFER_SCHEMA_TOO_NEW';
/** A migration step failed and was rolled back; `cause` holds the SQLite error. */
export const BUFFER_MIGRATION_FAILED = 'ATALAYA_BUFFER_MIGRATION_FAILED';
/** The copy taken before a schema upgrade could not be written (disk full, …): nothing was migrated. */
export const BUFFER_UPGRADE_BACKUP_FAILED = 'ATALAYA_BUFFER_UPGRADE_BACKUP_FAILED';
export const BUFFER_INVALID_OPTIONS = 'ATALAYA_BUFFER_INVALID_OPTIONS';
/**
 * A record handed to append() breaks the record check (protocols/records-check.ts); only that
 * append is rejected. `details.field` is the record's field path, `cause` the ATALAYA_RECORD_INVALID error.
 */
export const BUFFER_INVALID_RECORD = 'ATALAYA_BUFFER_INVALID_RECORD';

export type BufferErrorCode =
  | typeof BUFFER_CLOSED
  | typeof BUFFER_WRITE_FAILED
  | typeof BUFFER_OPEN_FAILED
  | typeof BUFFER_SCHEMA_TOO_NEW
  | typeof BUFFER_MIGRATION_FAILED
  | typeof BUFFER_UPGRADE_BACKUP_FAILED
  | typeof BUFFER_INVALID_OPTIONS
  | typeof BUFFER_INVALID_RECORD;

export class BufferError extends AtalayaError<BufferErrorCode> {
  constructor(code: BufferErrorCode, message: string, options: { cause?: unknown; details?: Record<string, unknown> } = {}) {
    super(code, message, options);
    this.name = 'BufferError';
  }
}

export function isBufferError(err: unknown, code?: BufferErrorCode): err is BufferError {
  return err instanceof BufferError && isAtalayaError(err, code);
}

export function closedError(operation: string): BufferError {
  return new BufferError(BUFFER_CLOSED, `buffer is not running: cannot ${operation}`);
}

export function writeFailed(cause: unknown, rows: number): BufferError {
  return new BufferError(BUFFER_WRITE_FAILED, `group commit of ${rows} records failed`, { cause, details: { rows, sqliteCode: sqliteCode(cause) } });
}

/** Same code as a failed commit (callers treat both alike): rejected at append while commits fail and a commit's worth is already queued. */
export function queueFull(rows: number, queued: number): BufferError {
  return new BufferError(BUFFER_WRITE_FAILED, `buffer cannot write and ${queued} records are already queued: ${rows} records dropped`, {
    details: { rows, queued, reason: 'queue_full' },
  });
}

export function openFailed(path: string, cause: unknown): BufferError {
  return new BufferError(BUFFER_OPEN_FAILED, `cannot open buffer ${path}`, { cause, details: { path, sqliteCode: sqliteCode(cause) } });
}

export function schemaTooNew(found: number, known: number): BufferError {
  return new BufferError(BUFFER_SCHEMA_TOO_NEW, `buffer schema version ${found} is newer than this agent knows (${known})`, { details: { found, known } });
}

export function migrationFailed(version: number, cause: unknown): BufferError {
  return new BufferError(BUFFER_MIGRATION_FAILED, `buffer migration to version ${version} failed`, { cause, details: { version } });
}

export function upgradeBackupFailed(backup: string, cause: unknown): BufferError {
  return new BufferError(BUFFER_UPGRADE_BACKUP_FAILED, `cannot copy the buffer to ${backup} before upgrading its schema`, {
    cause,
    details: { backup, sqliteCode: sqliteCode(cause) },
  });
}

export function invalidOptions(problems: readonly string[]): BufferError {
  return new BufferError(BUFFER_INVALID_OPTIONS, `invalid buffer options:\n  ${problems.join('\n  ')}`, { details: { problems } });
}

export function invalidRecord(index: number, problem: RecordProblem): BufferError {
  const cause = recordInvalid(problem, index < 0 ? undefined : index);
  const field = problem.path === '' ? 'record' : problem.path;
  return new BufferError(BUFFER_INVALID_RECORD, `record ${index}: invalid ${field}, expected ${problem.expected}`, { cause, details: { index, field } });
}

/** better-sqlite3's SqliteError carries the extended result code name (e.g. 'SQLITE_FULL') in `code`. */
function sqliteCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}
