/** Restores a backup taken by sqlite-backup.ts over the agent buffer or the relay database. */
import fs from 'node:fs';
import path from 'node:path';
import type { Database } from 'better-sqlite3';
import Sqlite from 'better-sqlite3';
import { fsyncPath } from '../platform/fsync.ts';
import type { BackupError } from './backup-errors.ts';
import { backupError, isBackupError } from './backup-errors.ts';
import { BACKUP_IO_FAILED, BACKUP_SOURCE_MISSING, BACKUP_TARGET_EXISTS, BACKUP_TARGET_IN_USE, BACKUP_WRONG_KIND } from './errors.ts';
import type { SqliteFileKind, SqliteFileSummary } from './sqlite-backup.ts';
import { errorCode, summarize, withFile } from './sqlite-backup.ts';

/**
 * Takes the lock that tells whether another process has `file` open, or throws
 * BACKUP_TARGET_IN_USE. In WAL mode every open connection holds a SHARED lock on the database file
 * for as long as it is open, idle or not, and a connection in EXCLUSIVE locking mode needs an
 * EXCLUSIVE lock for its first read (docs/storage.md#locks): that read fails with SQLITE_BUSY, at once (no busy
 * timeout), while the agent or relay runs, even between its commits. The returned connection holds
 * the lock until closed, so a service started meanwhile fails to open the file instead of writing
 * into the one being replaced. undefined when the file is not a database at all (nothing can be
 * using it as one).
 */
export function lockExclusive(file: string): Database | undefined {
  const db = new Sqlite(file, { fileMustExist: true, timeout: 0 });
  try {
    db.pragma('locking_mode = EXCLUSIVE');
    db.prepare('SELECT count(*) FROM sqlite_schema').get();
    // Out of WAL mode into a journal kept in memory, under the lock: the old WAL is checkpointed
    // and deleted now, and closing this connection once the new file has the name deletes no
    // `-wal` or `-journal` by name (by then it could be a new service's).
    if (db.pragma('journal_mode = MEMORY', { simple: true }) !== 'memory') throw inUse(file);
    return db;
  } catch (err) {
    db.close();
    const code = errorCode(err);
    if (isBackupError(err)) throw err;
    if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') throw inUse(file, err);
    if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') return undefined;
    throw err;
  }
}

function inUse(file: string, cause?: unknown): BackupError {
  return backupError(BACKUP_TARGET_IN_USE, `${file} is open in another process: stop the service using it first`, { file }, cause);
}

/**
 * Replaces `target` with the backup `file`:
 *  1. an existing target needs `force`, and must not be open in another process (lockExclusive);
 *  2. the backup is copied to a temporary file beside the target (same file system, so the final
 *     rename is atomic), and that copy is checked: integrity_check, the kind's tables, a schema
 *     version this build can open (an older one is fine: the service migrates it on start);
 *  3. the target's -wal and -shm go first: a WAL left beside the new file would be replayed into it;
 *  4. the copy is renamed over the target, with the old file's permissions and, when allowed,
 *     owner (a new file: its directory's owner).
 * The backup file itself is only read.
 */
export function restoreSqlite(file: string, target: string, kind: SqliteFileKind, options: { readonly force: boolean }): SqliteFileSummary {
  if (!fs.existsSync(file)) throw backupError(BACKUP_SOURCE_MISSING, `${file} does not exist`, { file });
  const exists = fs.existsSync(target);
  if (exists && !options.force) {
    throw backupError(BACKUP_TARGET_EXISTS, `${target} exists: pass --force to replace it (what it holds now is lost)`, { file: target });
  }
  const dir = path.dirname(path.resolve(target));
  fs.mkdirSync(dir, { recursive: true });
  const temp = path.join(dir, `.${path.basename(target)}.restore-${process.pid}`);
  const removeTemp = (): void => {
    for (const f of [temp, `${temp}-journal`, `${temp}-wal`, `${temp}-shm`]) fs.rmSync(f, { force: true });
  };
  let lock: Database | undefined;
  try {
    if (exists) lock = lockExclusive(target);
    removeTemp();
    fs.copyFileSync(file, temp, fs.constants.COPYFILE_EXCL);
    const summary = withFile(temp, (db) => summarize(db, file, kind));
    // The service must be able to write what root restored: the old file's owner and mode, or
    // for a new file the owner of its directory (the service's state directory).
    const owner = fs.statSync(exists ? target : dir);
    if (exists) fs.chmodSync(temp, owner.mode & 0o7777);
    try {
      fs.chownSync(temp, owner.uid, owner.gid);
    } catch {
      // Only root may give a file away; a restore run as the service's own user needs no chown.
    }
    fsyncPath(temp);
    for (const f of [`${target}-wal`, `${target}-shm`, `${target}-journal`]) fs.rmSync(f, { force: true });
    fs.renameSync(temp, target);
    fsyncPath(dir);
    return summary;
  } catch (err) {
    removeTemp();
    if (isBackupError(err)) throw err;
    if (errorCode(err) === 'SQLITE_NOTADB') throw backupError(BACKUP_WRONG_KIND, `${file} is no SQLite database`, { file }, err);
    throw backupError(BACKUP_IO_FAILED, `cannot restore ${file} to ${target}`, { file: target, code: errorCode(err) }, err);
  } finally {
    // Closed after the rename: until then a service starting finds the old file locked.
    lock?.close();
  }
}
