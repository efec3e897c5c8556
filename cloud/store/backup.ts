import type { Database } from 'better-sqlite3';
import type { Logger } from 'pino';
import { backupBeforeUpgrade as backupSqliteBeforeUpgrade } from '../../platform/sqlite/upgrade-backup.ts';
import { upgradeBackupFailed } from './errors.ts';

export { UPGRADE_BACKUPS_KEPT, upgradeBackupPath } from '../../platform/sqlite/upgrade-backup.ts';

/**
 * Copies the relay's SQLite file aside before migrations bring it to schema version `to`, so a
 * wrong migration can be rolled back with `atalaya relay restore` (platform/sqlite/upgrade-backup.ts);
 * STORE_UPGRADE_BACKUP_FAILED when the copy cannot be written (nothing is migrated then).
 */
export function backupBeforeUpgrade(db: Database, file: string, to: number, now: number, logger: Logger): string | undefined {
  return backupSqliteBeforeUpgrade(db, file, to, now, { logger, what: 'relay database', failed: upgradeBackupFailed });
}
