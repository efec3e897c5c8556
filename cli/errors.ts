/** Stable codes of the `atalaya` command itself: usage errors and backup/restore (backup-errors.ts). */

/** A command line that cannot be understood (bad argument, missing value); the message says which. */
export const CLI_USAGE = 'ATALAYA_CLI_USAGE';

/** The file to back up, or the backup to restore, does not exist. */
export const BACKUP_SOURCE_MISSING = 'ATALAYA_BACKUP_SOURCE_MISSING';
/** The backup file named already exists: a backup never overwrites one. */
export const BACKUP_DEST_EXISTS = 'ATALAYA_BACKUP_DEST_EXISTS';
/** `PRAGMA integrity_check` found problems in the copy; `details.problems` lists the first ones. */
export const BACKUP_INTEGRITY_FAILED = 'ATALAYA_BACKUP_INTEGRITY_FAILED';
/** The file is not an agent buffer / relay database (wrong file, wrong command): tables missing. */
export const BACKUP_WRONG_KIND = 'ATALAYA_BACKUP_WRONG_KIND';
/** The backup's schema version is newer than this build knows: restore it with a newer atalaya. */
export const BACKUP_SCHEMA_TOO_NEW = 'ATALAYA_BACKUP_SCHEMA_TOO_NEW';
/** restore onto an existing file without --force. */
export const BACKUP_TARGET_EXISTS = 'ATALAYA_BACKUP_TARGET_EXISTS';
/** restore onto a file another process has open (the agent or relay is running). */
export const BACKUP_TARGET_IN_USE = 'ATALAYA_BACKUP_TARGET_IN_USE';
/** Copying, syncing or renaming failed (disk full, permissions); `cause` holds the error. */
export const BACKUP_IO_FAILED = 'ATALAYA_BACKUP_IO_FAILED';
