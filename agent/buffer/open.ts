import fs from 'node:fs';
import path from 'node:path';
import type { Database } from 'better-sqlite3';
import Sqlite from 'better-sqlite3';
import { openFailed } from './errors.ts';
import type { ResolvedBufferOptions } from './options.ts';

/** The WAL is truncated back to this after a checkpoint, bytes (SQLite's journal_size_limit pragma). */
export const JOURNAL_SIZE_LIMIT = 16 * 1024 * 1024;

/** Opens (creating its directory) the buffer file in WAL mode with the configured durability. */
export function openDatabase(options: Pick<ResolvedBufferOptions, 'path' | 'durability' | 'busyTimeoutMs'>): Database {
  const { path: file, durability } = options;
  let db: Database | undefined;
  try {
    fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    db = new Sqlite(file, { timeout: options.busyTimeoutMs });
    const mode = db.pragma('journal_mode = WAL', { simple: true });
    if (mode !== 'wal') throw new Error(`journal_mode is ${String(mode)}, WAL unavailable`);
    // In WAL mode synchronous=NORMAL is crash-safe for the process; FULL also syncs the WAL on every commit.
    db.pragma(`synchronous = ${durability === 'full' ? 'FULL' : 'NORMAL'}`);
    db.pragma(`journal_size_limit = ${JOURNAL_SIZE_LIMIT}`);
    return db;
  } catch (err) {
    db?.close();
    throw openFailed(file, err);
  }
}
