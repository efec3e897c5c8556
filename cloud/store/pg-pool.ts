import type { Pool, PoolClient } from 'pg';
import pg from 'pg';
import type { Logger } from 'pino';
import { unavailable } from './errors.ts';
import { migratePostgres } from './migrations-postgres.ts';

/** int8 (OID 20) as a JS number rather than pg's default string: seqs, slots, counts and ms all fit 2^53. */
const INT8_OID = 20;
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

export interface MigratedPool {
  readonly pool: Pool;
  readonly from: number;
  readonly to: number;
  /** Ends the pool; a failure is logged, never thrown (stop paths). */
  close(): Promise<void>;
}

/**
 * A pool on the relay database with its migrations applied: the one way the relay opens it
 * (sql-postgres.ts, one pool per relay process). Idle connections the server drops are logged and replaced; without an
 * 'error' listener they would crash the process. On a failed start nothing is left open.
 */
export async function openMigratedPool(o: { url: string; max: number; applicationName: string; log: Logger }): Promise<MigratedPool> {
  const pool = new pg.Pool({ connectionString: o.url, max: o.max, types, application_name: o.applicationName });
  const onError = (err: Error): void => o.log.warn({ err }, 'idle database connection failed');
  pool.on('error', onError);
  try {
    const { from, to } = await migratePostgres(pool, o.log);
    return {
      pool,
      from,
      to,
      async close() {
        try {
          await pool.end();
        } catch (err) {
          o.log.error({ err }, 'closing the database pool failed');
        } finally {
          pool.off('error', onError);
        }
      },
    };
  } catch (err) {
    pool.off('error', onError);
    await pool.end().catch(() => undefined);
    throw unavailable('start', err);
  }
}

/**
 * Runs `body` in one READ COMMITTED transaction on a connection of `pool`: committed when it
 * resolves, rolled back when it throws (as ATALAYA_STORE_UNAVAILABLE unless already coded). A
 * connection whose transaction failed is discarded: it may be mid-protocol or broken.
 */
export async function inTransaction<T>(pool: Pool, operation: string, body: (client: PoolClient) => Promise<T>): Promise<T> {
  let client: PoolClient;
  try {
    client = await pool.connect();
  } catch (err) {
    throw unavailable(operation, err);
  }
  let failure: unknown;
  try {
    await client.query('BEGIN ISOLATION LEVEL READ COMMITTED');
    const result = await body(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    failure = err;
    await client.query('ROLLBACK').catch(() => undefined);
    throw unavailable(operation, err);
  } finally {
    client.release(failure !== undefined);
  }
}
