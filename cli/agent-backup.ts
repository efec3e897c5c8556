import { parseArgs } from 'node:util';
import { MIGRATIONS } from '../agent/buffer/migrations.ts';
import { RECORD_TABLES } from '../agent/buffer/statements.ts';
import { ConfigError } from '../agent/config/errors.ts';
import { loadConfigFile } from '../agent/config/load.ts';
import { runBackupCommand } from './backup-command.ts';
import type { SqliteFileKind } from './sqlite-backup.ts';

export const AGENT_BACKUP_HELP = `atalaya agent backup <file> [--config FILE]            copy the buffer to a new <file>
atalaya agent restore <file> [--config FILE] [--force]  replace the buffer with <file>

backup is safe while the agent runs (SQLite online backup: one consistent snapshot); it never
overwrites <file>, and checks the copy with integrity_check. restore refuses while the agent has
the buffer open (stop it first), needs --force to replace an existing buffer, and refuses a
backup made by a newer agent. The buffer path is buffer.path of the config.

Options:
  -c, --config FILE   YAML config (default: ATALAYA_CONFIG or /etc/atalaya/agent.yaml)
      --force         restore: replace the existing buffer (what it holds now is lost)
  -h, --help          this help
`;

/** The agent's buffer file (agent/buffer/migrations.ts). */
export const AGENT_BUFFER_KIND: SqliteFileKind = {
  label: 'agent buffer',
  knownVersion: MIGRATIONS.length,
  tables: [...RECORD_TABLES, 'names', 'meta'],
  countSql: `SELECT ${RECORD_TABLES.map((t) => `(SELECT count(*) FROM ${t})`).join(' + ')}`,
  // Seqs up to here were given out: after a restore the agent numbers new records from here on.
  lastSeqSql: "SELECT value - 1 FROM meta WHERE key = 'next_seq'",
};

/** `argv` starts with 'backup' or 'restore'. */
export async function agentBackupCommand(argv: readonly string[]): Promise<number> {
  const command = argv[0] === 'restore' ? 'restore' : 'backup';
  const { values, positionals } = parseArgs({
    args: argv.slice(1),
    options: { config: { type: 'string', short: 'c' }, force: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    allowPositionals: true,
    strict: true,
  });
  if (values.help === true) {
    process.stdout.write(AGENT_BACKUP_HELP);
    return 0;
  }
  const [file, ...extra] = positionals;
  if (file === undefined || extra.length > 0) {
    process.stderr.write(`atalaya agent ${command}: expected one <file>\n\n${AGENT_BACKUP_HELP}`);
    return 2;
  }
  const configFile = values.config ?? process.env['ATALAYA_CONFIG'] ?? '/etc/atalaya/agent.yaml';
  let database: string;
  try {
    database = loadConfigFile(configFile).buffer.path;
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`${err.message}\n`);
    return 2;
  }
  return runBackupCommand({ prog: 'atalaya agent', command, file, database, kind: AGENT_BUFFER_KIND, force: values.force === true });
}
