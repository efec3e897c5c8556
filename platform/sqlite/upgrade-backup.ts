import fs from 'node:fs';
import path from 'node:path';
import type { Database } from 'better-sqlite3';
import type { Logger } from 'pino';
import { fsyncPath } from '../fsync.ts';

/** Upgrade backups kept per database file: writing a fourth deletes the oldest. */
export const UPGRADE_BACKUPS_KEPT = 3;

/** `<file>.pre-v<to>-<UTC stamp to the ms>.bak`: the stamp sorts as text. */
export function upgradeBackupPath(file: string, to: number, at: number): string {
  return `${file}.pre-v${to}-${new Date(at).toISOString().replace(/[-:.]/g, '')}.bak`;
}

export interface UpgradeBackupOptions {
  readonly logger: Logger;
  /** For the log line: 'buffer', 'relay database'. */
  readonly what: string;
  /** The area's coded error for a copy that could not be written (its code is what users and tests see). */
  readonly failed: (backup: string, cause: unknown) => Error;
}

/**
 * Copies a SQLite file aside before migrations bring it from an older schema version to `to`, so
 * an upgrade that goes wrong in a way a transaction cannot undo (a migration that is wrong, not one
 * that fails) can be rolled back with `atalaya agent|relay restore`. Nothing is copied for a new
 * file (version 0, no tables), one already at `to`, or one newer (migrate() refuses that). Two
 * connections opening an old file at once may both copy it; the migration itself still runs once.
 *
 * VACUUM INTO rather than the online backup API: better-sqlite3's backup() is asynchronous and the
 * opening code is not; both copy a consistent snapshot (SQLite's documentation of VACUUM INTO), and
 * this one also leaves a single file in rollback-journal mode. SQLite does not fsync the copy, so
 * it is written beside as `.partial`, synced, then renamed. `now` (ms since the epoch) stamps the
 * copy's name.
 */
export function backupBeforeUpgrade(db: Database, file: string, to: number, now: number, o: UpgradeBackupOptions): string | undefined {
  const from = db.pragma('user_version', { simple: true }) as number;
  if (db.memory || from >= to) return undefined;
  if (from === 0 && db.prepare("SELECT count(*) FROM sqlite_schema WHERE type = 'table'").pluck().get() === 0) return undefined;
  let dest = upgradeBackupPath(file, to, now);
  // Two starts within one ms (or a clock set back): the next free ms.
  for (let at = now + 1; fs.existsSync(dest); at++) dest = upgradeBackupPath(file, to, at);
  const partial = `${dest}.partial`;
  try {
    fs.rmSync(partial, { force: true });
    db.prepare('VACUUM INTO ?').run(partial);
    fsyncPath(partial);
    fs.renameSync(partial, dest);
    fsyncPath(path.dirname(dest));
  } catch (err) {
    try {
      fs.rmSync(partial, { force: true });
    } catch {
      // The error that matters is the one thrown below.
    }
    throw o.failed(dest, err);
  }
  o.logger.info({ backup: dest, from, to }, `${o.what} copied before schema upgrade`);
  try {
    for (const old of staleUpgradeBackups(file, dest)) {
      fs.rmSync(old, { force: true });
      o.logger.info({ backup: old }, 'old upgrade backup deleted');
    }
  } catch (err) {
    // The new copy is in place; a leftover old one costs only disk space.
    o.logger.warn({ err }, 'deleting old upgrade backups failed');
  }
  return dest;
}

/**
 * Upgrade backups of `file` beyond the newest UPGRADE_BACKUPS_KEPT, and `.partial` leftovers of a
 * crash. `keep` (the copy just written) always stays, even when a clock set back made it sort oldest.
 */
export function staleUpgradeBackups(file: string, keep: string): string[] {
  const dir = path.dirname(path.resolve(file));
  const prefix = `${path.basename(file)}.pre-v`;
  const stamped: { file: string; stamp: string }[] = [];
  const stale: string[] = [];
  for (const name of fs.readdirSync(dir)) {
    if (!name.startsWith(prefix)) continue;
    const match = /^\d+-(\d{8}T\d{9}Z)\.bak(\.partial)?$/.exec(name.slice(prefix.length));
    if (match === null) continue;
    const full = path.join(dir, name);
    if (match[2] !== undefined) stale.push(full);
    else if (full !== path.resolve(keep)) stamped.push({ file: full, stamp: match[1] ?? '' });
  }
  stamped.sort((a, b) => (a.stamp < b.stamp ? 1 : a.stamp > b.stamp ? -1 : 0));
  return [...stale, ...stamped.slice(UPGRADE_BACKUPS_KEPT - 1).map((s) => s.file)];
}
