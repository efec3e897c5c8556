import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import type { StoreConfig } from '../cloud/store/database.ts';
import { createRelayDatabase, type RelayDatabase } from '../cloud/store/index.ts';
import { rootLogger } from './logger.ts';

/**
 * Runs `fn` on the relay's database, opened once for the command (one SQLite connection or one
 * PostgreSQL pool, as the relay itself: cloud/store/database.ts) and closed after it, whatever
 * happens. Logs only warnings, to stderr, unless given a logger.
 */
export async function withRelayDatabase<T>(
  storage: StoreConfig,
  fn: (database: RelayDatabase) => Promise<T>,
  logger: Logger = rootLogger('warn', 2),
): Promise<T> {
  if (storage.kind === 'sqlite') mkdirSync(path.dirname(path.resolve(storage.path)), { recursive: true });
  const database = createRelayDatabase(storage, logger);
  await database.start();
  try {
    return await fn(database);
  } finally {
    await database.stop();
  }
}
