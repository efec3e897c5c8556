/**
 * Group commit on the relay's SQLite file (cloud/store/sql-sqlite-group.ts): transactions that
 * queue together share one COMMIT, each stays all or nothing, each caller is answered after the
 * commit. Real SQLite files in a temp dir; the shared commit is seen in the WAL, which grows by a
 * frame per changed page per commit.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { invalidBatch, STORE_INVALID_BATCH, STORE_UNAVAILABLE } from '../../cloud/store/errors.ts';
import { SqliteExecutor } from '../../cloud/store/sql-sqlite.ts';
import { testLogger } from '../helpers/logger.ts';

let dir: string;
let executor: SqliteExecutor;

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atalaya-group-commit-'));
  executor = new SqliteExecutor({ path: path.join(dir, 'relay.db'), logger: testLogger() });
  await executor.start();
});

afterEach(async () => {
  await executor.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

const insertNonce = 'INSERT INTO nonces (gateway, nonce, expires_at) VALUES ($1, $2, $3)';
const nonces = async (): Promise<string[]> => (await executor.query<{ nonce: string }>('SELECT nonce FROM nonces ORDER BY nonce', [])).rows.map((r) => r.nonce);
/** WAL frames so far: a 32-byte header, then a 24-byte header and one page per frame. */
const walFrames = (): number => {
  const size = fs.statSync(path.join(dir, 'relay.db-wal')).size;
  return size <= 32 ? 0 : (size - 32) / (24 + 4096);
};

describe('SQLite group commit', () => {
  it('commits transactions queued together once, each answered after it', async () => {
    await executor.query('PRAGMA wal_checkpoint(TRUNCATE)', []);
    const framesBefore = walFrames();
    const writes = Array.from({ length: 20 }, (_, i) =>
      executor.groupedTransaction('test', async (q) => (await q(insertNonce, ['gw', `n${String(i).padStart(2, '0')}`, 1])).count),
    );
    expect(await Promise.all(writes)).toEqual(Array.from({ length: 20 }, () => 1));
    expect(await nonces()).toHaveLength(20);
    // Twenty commits would append at least twenty frames (the leaf page each time); one commit appends the page once.
    expect(walFrames() - framesBefore).toBeLessThan(5);
  });

  // Requests reach ingest one I/O callback at a time, each followed by its microtasks: a group
  // started at once would hold only the first (issue 18: every request paid its own WAL sync).
  it('commits once for transactions that arrive in separate callbacks of one event-loop turn', async () => {
    await executor.query('PRAGMA wal_checkpoint(TRUNCATE)', []);
    const framesBefore = walFrames();
    const writes = Array.from(
      { length: 20 },
      (_, i) =>
        new Promise<number>((resolve, reject) => {
          setImmediate(() => {
            executor.groupedTransaction('test', async (q) => (await q(insertNonce, ['gw', `m${String(i).padStart(2, '0')}`, 1])).count).then(resolve, reject);
          });
        }),
    );
    expect(await Promise.all(writes)).toEqual(Array.from({ length: 20 }, () => 1));
    expect(await nonces()).toHaveLength(20);
    expect(walFrames() - framesBefore).toBeLessThan(5);
  });

  it('rolls back only the transaction that failed and rejects only its caller', async () => {
    const write = (nonce: string, fail?: Error): Promise<string> =>
      executor.groupedTransaction('test', async (q) => {
        await q(insertNonce, ['gw', nonce, 1]);
        await q('SAVEPOINT inner', []);
        await q(insertNonce, ['gw', `${nonce}-inner`, 1]);
        if (fail !== undefined) throw fail;
        await q('RELEASE SAVEPOINT inner', []);
        return nonce;
      });
    const results = await Promise.allSettled([
      write('a'),
      write('b', invalidBatch('gw', 'coded', 1)),
      write('c'),
      write('d', new Error('driver failure')),
      write('e'),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toMatchObject({ code: STORE_INVALID_BATCH });
    expect((results[3] as PromiseRejectedResult).reason).toMatchObject({ code: STORE_UNAVAILABLE });
    expect(await nonces()).toEqual(['a', 'a-inner', 'c', 'c-inner', 'e', 'e-inner']);
  });

  it('answers a transaction that queues while a group commits in the next group', async () => {
    let second: Promise<number> | undefined;
    const first = executor.groupedTransaction('test', async (q) => {
      // Queued while this group runs: it must not join a transaction whose members already ran.
      second = executor.groupedTransaction('test', async (q2) => (await q2(insertNonce, ['gw', 'late', 1])).count);
      return (await q(insertNonce, ['gw', 'early', 1])).count;
    });
    expect(await first).toBe(1);
    expect(await second).toBe(1);
    expect(await nonces()).toEqual(['early', 'late']);
  });
});
