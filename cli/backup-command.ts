/** What `atalaya agent backup|restore` and `atalaya relay backup|restore` print and exit with. */
import { isBackupError } from './backup-errors.ts';
import type { SqliteFileKind } from './sqlite-backup.ts';
import { backupSqlite, describeSummary } from './sqlite-backup.ts';
import { restoreSqlite } from './sqlite-restore.ts';

export interface BackupCommandInput {
  /** 'atalaya agent', 'atalaya relay': prefixes the error lines. */
  readonly prog: string;
  readonly command: 'backup' | 'restore';
  /** The backup file. */
  readonly file: string;
  /** The live database, from the config. */
  readonly database: string;
  readonly kind: SqliteFileKind;
  readonly force: boolean;
}

/**
 * 0 done, 1 refused or failed (the error's code in brackets, for scripts), 2 a usage error. What
 * was copied goes to stdout, problems to stderr.
 */
export async function runBackupCommand(input: BackupCommandInput): Promise<number> {
  const { prog, command, file, database, kind } = input;
  if (command === 'backup' && input.force) {
    process.stderr.write(`${prog} backup: --force is for restore; a backup never overwrites a file\n`);
    return 2;
  }
  try {
    if (command === 'backup') {
      const summary = await backupSqlite(database, file, kind);
      process.stdout.write(`${describeSummary(file, summary)} (copied from ${database})\n`);
    } else {
      const summary = restoreSqlite(file, database, kind, { force: input.force });
      process.stdout.write(`${describeSummary(file, summary)}; restored to ${database}\n`);
      if (summary.version < kind.knownVersion) {
        process.stdout.write(
          `schema version ${summary.version} is older than this build's ${kind.knownVersion}: it is upgraded on the next start, after a copy beside it\n`,
        );
      }
    }
    return 0;
  } catch (err) {
    if (!isBackupError(err)) throw err;
    process.stderr.write(`${prog} ${command}: ${err.message} [${err.code}]\n`);
    return 1;
  }
}
