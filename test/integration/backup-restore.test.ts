import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Sqlite from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RecordBuffer } from '../../agent/buffer/buffer.ts';
import { AGENT_BUFFER_KIND } from '../../cli/agent-backup.ts';
import type { BackupErrorCode } from '../../cli/backup-errors.ts';
import { isBackupError } from '../../cli/backup-errors.ts';
import {
  BACKUP_DEST_EXISTS,
  BACKUP_INTEGRITY_FAILED,
  BACKUP_SCHEMA_TOO_NEW,
  BACKUP_SOURCE_MISSING,
  BACKUP_TARGET_EXISTS,
  BACKUP_TARGET_IN_USE,
  BACKUP_WRONG_KIND,
} from '../../cli/errors.ts';
import { RELAY_DB_KIND } from '../../cli/relay-backup.ts';
import { backupSqlite } from '../../cli/sqlite-backup.ts';
import { restoreSqlite } from '../../cli/sqlite-restore.ts';
import { createStore } from '../../cloud/store/index.ts';
import { systemClock } from '../../protocols/clock.ts';
import { testLogger } from '../helpers/logger.ts';
import { inspect } from './backup-setup.ts';
import { makeRecord, WRITER_MAX_AGE_MS } from './fixtures/buffer-writer.ts';

let dir: string;
const open: RecordBuffer[] = [];

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atalaya-restore-'));
});

afterEach(async () => {
  for (const b of open.splice(0)) await b.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

function buffer(file: string): RecordBuffer {
  const b = new RecordBuffer({ path: file, maxAgeMs: WRITER_MAX_AGE_MS, clock: systemClock, logger: testLogger() });
  open.push(b);
  b.start();
  return b;
}

/** A buffer file holding records 0..n-1 of `run`, closed. */
async function bufferFile(name: string, n: number, run = 1): Promise<string> {
  const file = path.join(dir, name);
  const b = buffer(file);
  await b.append(Array.from({ length: n }, (_, i) => makeRecord(run, i)));
  await b.stop();
  return file;
}

async function codeOf(fn: () => unknown): Promise<BackupErrorCode | undefined> {
  try {
    await fn();
  } catch (err) {
    if (isBackupError(err)) return err.code;
    throw err;
  }
  return undefined;
}

const COUNT = 'SELECT count(*) FROM records';

describe('backupSqlite', () => {
  it('copies a buffer that is open and written to into one checked file, and never overwrites one', async () => {
    const live = buffer(path.join(dir, 'live.db'));
    await live.append(Array.from({ length: 300 }, (_, i) => makeRecord(1, i)));
    const copy = path.join(dir, 'copy.db');
    expect(await backupSqlite(path.join(dir, 'live.db'), copy, AGENT_BUFFER_KIND)).toMatchObject({
      records: 300,
      lastSeq: 300,
      version: AGENT_BUFFER_KIND.knownVersion,
    });
    // Rollback-journal mode: the copy needs no -wal beside it, wherever it is moved.
    expect(fs.readFileSync(copy).subarray(18, 20)).toEqual(Buffer.from([1, 1]));
    expect(fs.readdirSync(dir).sort()).toEqual(['copy.db', 'live.db', 'live.db-shm', 'live.db-wal']);

    await live.append([makeRecord(1, 300)]);
    const before = fs.readFileSync(copy);
    expect(await codeOf(() => backupSqlite(path.join(dir, 'live.db'), copy, AGENT_BUFFER_KIND))).toBe(BACKUP_DEST_EXISTS);
    expect(fs.readFileSync(copy).equals(before)).toBe(true);
    expect(await codeOf(() => backupSqlite(path.join(dir, 'none.db'), path.join(dir, 'other.db'), AGENT_BUFFER_KIND))).toBe(BACKUP_SOURCE_MISSING);
    expect(fs.existsSync(path.join(dir, 'none.db'))).toBe(false);
  });

  it('refuses a file of the other kind and leaves no partial copy behind', async () => {
    const relay = path.join(dir, 'relay.db');
    const store = createStore({ kind: 'sqlite', path: relay }, testLogger());
    await store.start();
    await store.stop();
    expect(await codeOf(() => backupSqlite(relay, path.join(dir, 'copy.db'), AGENT_BUFFER_KIND))).toBe(BACKUP_WRONG_KIND);
    expect(fs.readdirSync(dir).filter((f) => f.startsWith('copy'))).toEqual([]);
    expect(await backupSqlite(relay, path.join(dir, 'copy.db'), RELAY_DB_KIND)).toMatchObject({ records: 0, version: RELAY_DB_KIND.knownVersion });
  });
});

describe('restoreSqlite', () => {
  it('replaces an existing buffer only with force, and drops the WAL the old file left', async () => {
    const backup = path.join(dir, 'backup.db');
    await backupSqlite(await bufferFile('source.db', 50), backup, AGENT_BUFFER_KIND);
    // The target as a killed agent leaves it: 80 other records, some of them only in its WAL.
    const target = path.join(dir, 'target.db');
    const old = buffer(target);
    await old.append(Array.from({ length: 80 }, (_, i) => makeRecord(2, i)));
    const oldWal = fs.readFileSync(`${target}-wal`);
    expect(oldWal.length).toBeGreaterThan(0);

    expect(await codeOf(() => restoreSqlite(backup, target, AGENT_BUFFER_KIND, { force: false }))).toBe(BACKUP_TARGET_EXISTS);
    expect(await codeOf(() => restoreSqlite(backup, target, AGENT_BUFFER_KIND, { force: true }))).toBe(BACKUP_TARGET_IN_USE);
    await old.stop();
    // Stopping checkpointed and removed the WAL; put it back as a crash would have left it.
    fs.writeFileSync(`${target}-wal`, oldWal);

    expect(restoreSqlite(backup, target, AGENT_BUFFER_KIND, { force: true })).toMatchObject({ records: 50 });
    expect(fs.existsSync(`${target}-wal`)).toBe(false);
    expect(fs.readdirSync(dir).filter((f) => f.includes('restore'))).toEqual([]);
    const restored = buffer(target);
    expect(restored.readAfter(0, 1000)).toEqual(Array.from({ length: 50 }, (_, i) => ({ ...makeRecord(1, i), seq: i + 1 })));
  });

  it('refuses while another connection has the target open, and leaves it untouched', async () => {
    const backup = path.join(dir, 'backup.db');
    await backupSqlite(await bufferFile('source.db', 5), backup, AGENT_BUFFER_KIND);
    const target = path.join(dir, 'target.db');
    const running = buffer(target);
    await running.append([makeRecord(3, 0)]);
    // The lock is per process for SQLite's POSIX locks; another process is what the CLI sees
    // (backup-cli.test.ts). In this process SQLite still sees the open connection.
    expect(await codeOf(() => restoreSqlite(backup, target, AGENT_BUFFER_KIND, { force: true }))).toBe(BACKUP_TARGET_IN_USE);
    expect(running.readAfter(0, 10).map((r) => r.bootId)).toEqual(['boot-3']);
    expect(await running.append([makeRecord(3, 1)])).toEqual([2]);
  });

  it('checks the backup: integrity, kind, a schema version this build knows', async () => {
    const good = path.join(dir, 'good.db');
    await backupSqlite(await bufferFile('source.db', 2000), good, AGENT_BUFFER_KIND);
    const target = path.join(dir, 'target.db');

    const newer = path.join(dir, 'newer.db');
    fs.copyFileSync(good, newer);
    const db = new Sqlite(newer);
    db.pragma(`user_version = ${AGENT_BUFFER_KIND.knownVersion + 1}`);
    db.close();
    expect(await codeOf(() => restoreSqlite(newer, target, AGENT_BUFFER_KIND, { force: false }))).toBe(BACKUP_SCHEMA_TOO_NEW);

    // A b-tree page in the middle of the records overwritten: the file opens, the check fails.
    const damaged = path.join(dir, 'damaged.db');
    const bytes = fs.readFileSync(good);
    const pageSize = bytes.readUInt16BE(16);
    bytes.fill(0x5a, pageSize * 10 + 8, pageSize * 11);
    fs.writeFileSync(damaged, bytes);
    expect(await codeOf(() => restoreSqlite(damaged, target, AGENT_BUFFER_KIND, { force: false }))).toBe(BACKUP_INTEGRITY_FAILED);

    const text = path.join(dir, 'notes.txt');
    fs.writeFileSync(text, 'not a database, but long enough to have a header of a hundred bytes or so. '.repeat(4));
    expect(await codeOf(() => restoreSqlite(text, target, AGENT_BUFFER_KIND, { force: false }))).toBe(BACKUP_WRONG_KIND);
    expect(await codeOf(() => restoreSqlite(good, target, RELAY_DB_KIND, { force: false }))).toBe(BACKUP_WRONG_KIND);
    expect(await codeOf(() => restoreSqlite(path.join(dir, 'none.db'), target, AGENT_BUFFER_KIND, { force: false }))).toBe(BACKUP_SOURCE_MISSING);

    // Nothing was created by any refusal; the good one restores.
    expect(fs.readdirSync(dir).filter((f) => f.includes('target'))).toEqual([]);
    expect(restoreSqlite(good, target, AGENT_BUFFER_KIND, { force: false })).toMatchObject({ records: 2000 });
    expect(inspect(target, COUNT)).toMatchObject({ integrity: ['ok'], value: 2000 });
  });
});
