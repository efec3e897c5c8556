import type { Database } from 'better-sqlite3';
import type { Logger } from 'pino';
import { backupBeforeUpgrade as backupSqliteBeforeUpgrade } from '../../platform/sqlite/upgrade-backup.ts';
import { upgradeBackupFailed } from './errors.ts';

export { UPGRADE_BACKUPS_KEPT, upgradeBackupPath } from '../../platform/sqlite/upgrade-backup.ts';

/**
 * Copies the buffer aside before migrations bring it to schema version `to`, so a wrong migration
 * can be rolled back with `atalaya agent restore` (platform/sqlite/upgrade-backup.ts);
 * BUFFER_UPGRADE_BACKUP_FAILED when the copy cannot be written (nothing is migrated then).
 */
export function backupBeforeUpgrade(db: Database, file: string, to: number, now: number, logger: Logger): string | undefined {
  return backupSqliteBeforeUpgrade(db, file, to, now, { logger, what: 'buffer', failed: upgradeBackupFailed });
}
