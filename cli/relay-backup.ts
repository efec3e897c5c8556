import type { RelayConfig } from '../cloud/config/schema.ts';
import { SQLITE_MIGRATIONS } from '../cloud/store/migrations-sqlite.ts';
import { runBackupCommand } from './backup-command.ts';
import type { SqliteFileKind } from './sqlite-backup.ts';

/** The relay's SQLite database (cloud/store/migrations-sqlite.ts). */
export const RELAY_DB_KIND: SqliteFileKind = {
  label: 'relay database',
  knownVersion: SQLITE_MIGRATIONS.length,
  tables: ['gateways', 'records', 'nonces', 'integrity_alarms'],
  countSql: 'SELECT count(*) FROM records',
};

/**
 * `atalaya relay backup <file>` / `restore <file> [--force]` on storage.path. PostgreSQL has its
 * own tools, which also handle a database several relays write to.
 */
export function relayBackupCommand(command: 'backup' | 'restore', file: string | undefined, config: RelayConfig, force: boolean): Promise<number> {
  if (file === undefined) {
    process.stderr.write(`atalaya relay ${command}: expected <file>\n`);
    return Promise.resolve(2);
  }
  if (config.storage.kind !== 'sqlite') {
    process.stderr.write(`atalaya relay ${command}: storage is PostgreSQL; use pg_dump / pg_restore (or your provider's snapshots), not this command\n`);
    return Promise.resolve(2);
  }
  return runBackupCommand({ prog: 'atalaya relay', command, file, database: config.storage.path, kind: RELAY_DB_KIND, force });
}
