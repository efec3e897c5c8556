import type { Database } from 'better-sqlite3';
import type { Logger } from 'pino';

export interface SqliteMigration {
  /** One line for the log. */
  readonly name: string;
  readonly sql: string;
}

export interface MigrateOptions {
  readonly logger: Logger;
  /** The log line of each applied step: 'buffer schema migrated'. */
  readonly message: string;
  /** The area's coded errors (their codes are what users and tests see). */
  readonly tooNew: (found: number, known: number) => Error;
  readonly failed: (version: number, cause: unknown) => Error;
}

export function userVersion(db: Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/**
 * Brings the file up to `migrations.length`: step i (0-based) brings it to `PRAGMA user_version`
 * i + 1. Each step runs in its own IMMEDIATE transaction that also sets user_version (the
 * 32-bit integer SQLite keeps in the file header for the application), so a crash leaves the file at a whole version and a second
 * process opening the same file cannot apply a step twice. A file at a higher version than known
 * is refused (o.tooNew): an older build must not guess at a newer schema. A step that fails is
 * rolled back and reported as o.failed with the SQLite error as cause.
 */
export function migrate(db: Database, migrations: readonly SqliteMigration[], o: MigrateOptions): { from: number; to: number } {
  const from = userVersion(db);
  if (from > migrations.length) throw o.tooNew(from, migrations.length);
  for (let version = from + 1; version <= migrations.length; version++) {
    const step = migrations[version - 1];
    if (step === undefined) break;
    let refused: Error | undefined;
    const apply = db.transaction(() => {
      const current = userVersion(db);
      if (current > migrations.length) throw (refused = o.tooNew(current, migrations.length));
      if (current >= version) return false;
      db.exec(step.sql);
      // PRAGMA takes no bound parameters; version is an integer we computed.
      db.pragma(`user_version = ${version}`);
      return true;
    });
    let applied: boolean;
    try {
      applied = apply.immediate();
    } catch (err) {
      if (err === refused) throw err;
      throw o.failed(version, err);
    }
    if (applied) o.logger.info({ version, migration: step.name }, o.message);
  }
  return { from, to: Math.max(from, userVersion(db)) };
}
