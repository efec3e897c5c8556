/**
 * Backups of the agent buffer and the relay's SQLite database, shared by `atalaya agent backup`
 * and `atalaya relay backup` (cli/ may import both sides; agent/ and cloud/ may not share code).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Database } from 'better-sqlite3';
import Sqlite from 'better-sqlite3';
import { fsyncPath } from '../platform/fsync.ts';
import { backupError, isBackupError } from './backup-errors.ts';
import { BACKUP_DEST_EXISTS, BACKUP_INTEGRITY_FAILED, BACKUP_IO_FAILED, BACKUP_SCHEMA_TOO_NEW, BACKUP_SOURCE_MISSING, BACKUP_WRONG_KIND } from './errors.ts';

/** What tells one kind of file from another, and what this build can open. */
export interface SqliteFileKind {
  /** For messages: 'agent buffer', 'relay database'. */
  readonly label: string;
  /** Highest schema version (PRAGMA user_version) this build knows. */
  readonly knownVersion: number;
  /** Tables every file of this kind has from version 1 on. */
  readonly tables: readonly string[];
  /** One integer: the records the file holds. */
  readonly countSql: string;
  /** One integer: the highest seq the file ever gave (the agent's counter), when it has one. */
  readonly lastSeqSql?: string;
}

export interface SqliteFileSummary {
  /** PRAGMA user_version. */
  readonly version: number;
  readonly records: number;
  readonly lastSeq?: number;
  readonly bytes: number;
}

/** How long the backup's reads wait for a writer's checkpoint or recovery, ms. */
const BUSY_TIMEOUT_MS = 5_000;
/** Pages per backup step: all of them, see backupSqlite. */
const ALL_PAGES = 0x7fffffff;

/**
 * Copies `source` to `dest` with SQLite's online backup API
 * (docs/storage.md#copies-vacuum-into-and-the-backup-api), safe while the agent or relay writes to it in WAL mode. All
 * pages go in one step, which is one read transaction: the copy is the snapshot of one moment, and
 * a writer in another process never makes it restart (a copy in steps of 100 pages restarts
 * whenever another connection writes, and might never finish beside an agent writing at full
 * rate). In WAL mode that read blocks no writer.
 *
 * The copy goes to `<dest>.partial`, is switched to rollback-journal mode (one self-contained
 * file), checked with integrity_check, fsynced, then renamed; an existing `dest` is never
 * overwritten.
 */
export async function backupSqlite(source: string, dest: string, kind: SqliteFileKind): Promise<SqliteFileSummary> {
  if (!fs.existsSync(source)) throw backupError(BACKUP_SOURCE_MISSING, `${source} does not exist`, { file: source });
  const refuseExisting = (): void => {
    if (fs.existsSync(dest)) throw backupError(BACKUP_DEST_EXISTS, `${dest} exists; a backup never overwrites a file`, { file: dest });
  };
  refuseExisting();
  const partial = `${dest}.partial`;
  const removePartial = (): void => {
    for (const f of [partial, `${partial}-journal`, `${partial}-wal`, `${partial}-shm`]) fs.rmSync(f, { force: true });
  };
  removePartial();
  try {
    const db = new Sqlite(source, { fileMustExist: true, timeout: BUSY_TIMEOUT_MS });
    try {
      await db.backup(partial, { progress: () => ALL_PAGES });
    } finally {
      db.close();
    }
    const summary = withFile(partial, (copy) => {
      copy.pragma('journal_mode = DELETE');
      // Problems are named after the source: the partial copy is deleted with them.
      return summarize(copy, source, kind);
    });
    fsyncPath(partial);
    refuseExisting();
    fs.renameSync(partial, dest);
    fsyncPath(path.dirname(path.resolve(dest)));
    return summary;
  } catch (err) {
    removePartial();
    if (isBackupError(err)) throw err;
    if (errorCode(err) === 'SQLITE_NOTADB') throw backupError(BACKUP_WRONG_KIND, `${source} is no SQLite database`, { file: source }, err);
    throw backupError(BACKUP_IO_FAILED, `cannot back up ${source} to ${dest}`, { file: dest, code: errorCode(err) }, err);
  }
}

/**
 * integrity_check, the kind's tables, a schema version this build knows, the record count. Throws
 * BACKUP_INTEGRITY_FAILED, BACKUP_SCHEMA_TOO_NEW or BACKUP_WRONG_KIND naming `file` (what the operator gave, where `db`
 * is a copy of it). `bytes` is the size of db's file now.
 */
export function summarize(db: Database, file: string, kind: SqliteFileKind): SqliteFileSummary {
  let problems: string[];
  try {
    // At most 10 problems listed: a damaged file can have millions.
    problems = (db.pragma('integrity_check(10)') as { integrity_check: string }[]).map((row) => row.integrity_check);
  } catch (err) {
    // Damage in the schema itself stops the check before it lists anything.
    if (errorCode(err) !== 'SQLITE_CORRUPT') throw err;
    problems = [(err as Error).message];
  }
  if (problems.length !== 1 || problems[0] !== 'ok') {
    throw backupError(BACKUP_INTEGRITY_FAILED, `${file} failed integrity_check:\n  ${problems.join('\n  ')}`, { file, problems });
  }
  const version = db.pragma('user_version', { simple: true }) as number;
  const present = new Set(db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table'").pluck().all() as string[]);
  const missing = kind.tables.filter((t) => !present.has(t));
  if (version < 1 || missing.length > 0) {
    throw backupError(BACKUP_WRONG_KIND, `${file} is no ${kind.label} (schema version ${version}; tables missing: ${missing.join(', ') || 'none'})`, {
      file,
      version,
      missing,
    });
  }
  // What a newer schema holds, and how to count it, is for a newer atalaya to say.
  if (version > kind.knownVersion) {
    throw backupError(BACKUP_SCHEMA_TOO_NEW, `${file} is at schema version ${version}; this atalaya knows up to ${kind.knownVersion}`, {
      file,
      found: version,
      known: kind.knownVersion,
    });
  }
  const records = db.prepare(kind.countSql).pluck().get() as number;
  const bytes = fs.statSync(db.name).size;
  if (kind.lastSeqSql === undefined) return { version, records, bytes };
  return { version, records, lastSeq: db.prepare(kind.lastSeqSql).pluck().get() as number, bytes };
}

/** Opens an existing file on its own connection for `fn`, and closes it whatever happens. */
export function withFile<T>(file: string, fn: (db: Database) => T): T {
  const db = new Sqlite(file, { fileMustExist: true, timeout: BUSY_TIMEOUT_MS });
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

/** better-sqlite3's SqliteError and Node's fs errors both carry their code in `code`. */
export function errorCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

export function describeSummary(file: string, s: SqliteFileSummary): string {
  const last = s.lastSeq === undefined ? '' : `, last seq ${s.lastSeq}`;
  return `${file}: ${s.records} records${last}, schema version ${s.version}, ${s.bytes} bytes, integrity ok`;
}
