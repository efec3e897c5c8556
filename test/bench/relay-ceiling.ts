/**
 * The ceilings the relay's concurrent ingest is read against (issue 18): the same rows written
 * into the same `records` table (the relay's schema, every index) with nothing of the relay
 * around them. SQLite: one prepared INSERT per row, one transaction per 1,000-row batch,
 * synchronous=full as the relay runs, the row's kind, quality and hash narrow as the relay stores
 * them (records v2). PostgreSQL: one bare `COPY records FROM STDIN` per 1,000-row batch on the
 * relay's pool size of connections, on the same cluster, into the partitioned records v2 (rows
 * received now land in this month's partition, as the relay's do). The relay's
 * figure ÷ the ceiling is the share of the database's own speed the relay reaches.
 */
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { pino } from 'pino';
import type { StoreConfig } from '../../cloud/store/index.ts';
import { createStore } from '../../cloud/store/index.ts';
import { openRelaySqlite } from '../../cloud/store/migrations-sqlite.ts';
import { hashBytes, hashHex, kindCode, qualityCode } from '../../cloud/store/records-codec.ts';
import { RECORD_COLUMNS } from '../../cloud/store/rows.ts';
import { copyField, copyFrom } from '../../cloud/store/sql-postgres-copy.ts';
import type { StoredRecord } from '../../protocols/records.ts';
import { recordHash } from '../../protocols/sync/canonical.ts';

const silent = pino({ level: 'silent' });

/** One row per record in RECORD_COLUMNS order, as the relay stores a synced reading (no corrected time, no alarm). */
export function ceilingRows(gateway: string, records: readonly StoredRecord[], receivedAt: number): unknown[][] {
  return records.map((r) => [
    gateway,
    r.seq,
    r.kind,
    r.device,
    r.channel,
    r.value ?? null,
    r.unit,
    r.quality,
    r.exception ?? null,
    r.ts,
    null,
    r.mono,
    r.bootId,
    r.priority,
    r.flags,
    null,
    receivedAt,
    recordHash(gateway, r),
  ]);
}

/** A ceilingRows row as SQLite's records v2 stores it (records-codec.ts). */
function sqliteRow(row: readonly unknown[]): unknown[] {
  const out = row.slice();
  out[2] = kindCode(row[2] as string);
  out[7] = qualityCode(row[7] as string);
  out[17] = hashBytes(row[17] as string);
  return out;
}

/** A migrated, empty relay database at `storage`. */
async function migrated(storage: StoreConfig): Promise<void> {
  const store = createStore(storage, silent);
  await store.start();
  await store.stop();
}

/** Rows per second of bare batched INSERTs into a fresh relay SQLite file. */
export async function sqliteCeiling(file: string, batches: ReadonlyArray<readonly unknown[][]>): Promise<number> {
  await migrated({ kind: 'sqlite', path: file, synchronous: 'full' });
  const { db } = openRelaySqlite(file, { synchronous: 'full', busyTimeoutMs: 0, logger: silent });
  try {
    const insert = db.prepare(
      `INSERT INTO records (${RECORD_COLUMNS}) VALUES (${RECORD_COLUMNS.split(',')
        .map(() => '?')
        .join(', ')})`,
    );
    const write = db.transaction((rows: readonly unknown[][]) => {
      for (const row of rows) insert.run(row);
    });
    // The relay's SQLite layout (records v2): kind and quality as codes, the hash as its 32 bytes,
    // converted before the clock starts, as a bare insert would get them.
    const narrow = batches.map((batch) => batch.map(sqliteRow));
    let rows = 0;
    const started = performance.now();
    for (const batch of narrow) {
      write(batch);
      rows += batch.length;
    }
    return rows / ((performance.now() - started) / 1000);
  } finally {
    db.close();
  }
}

/**
 * A row in the stored form of PostgreSQL's records v2 (migrations-records-v2.ts): kind and quality
 * as codes, the hash as bytea's `\\x…` input, so the COPY goes into the relay's own partitioned
 * table with every index it has.
 */
function postgresRow(row: readonly unknown[]): unknown[] {
  const stored = row.slice();
  stored[2] = typeof row[2] === 'string' ? kindCode(row[2]) : row[2];
  stored[7] = typeof row[7] === 'string' ? qualityCode(row[7]) : row[7];
  stored[17] = `\\\\x${typeof row[17] === 'string' ? row[17] : hashHex(row[17] as Uint8Array)}`;
  return stored;
}

/** COPY text format, one line per row; the hash field is already in COPY's escaped form. */
function postgresCopyText(rows: readonly unknown[][]): string {
  return `${rows
    .map((row) =>
      postgresRow(row)
        .map((v, i) => (i === 17 ? (v as string) : copyField(v as string | number | null)))
        .join('\t'),
    )
    .join('\n')}\n`;
}

/** Rows per second of bare COPYs into a fresh relay database on PostgreSQL, `connections` at once. */
export async function postgresCeiling(url: string, batches: ReadonlyArray<readonly unknown[][]>, connections: number): Promise<number> {
  await migrated({ kind: 'postgres', url, maxConnections: connections });
  const texts = batches.map(postgresCopyText);
  const clients = Array.from({ length: connections }, () => new pg.Client({ connectionString: url }));
  await Promise.all(clients.map((c) => c.connect()));
  try {
    let next = 0;
    let rows = 0;
    const started = performance.now();
    await Promise.all(
      clients.map(async (client) => {
        for (let i = next++; i < texts.length; i = next++) {
          await copyFrom(client, `COPY records (${RECORD_COLUMNS}) FROM STDIN`, texts[i] as string);
          rows += (batches[i] as unknown[][]).length;
        }
      }),
    );
    return rows / ((performance.now() - started) / 1000);
  } finally {
    await Promise.all(clients.map((c) => c.end()));
  }
}
