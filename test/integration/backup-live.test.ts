import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RecordBuffer } from '../../agent/buffer/buffer.ts';
import { systemClock } from '../../protocols/clock.ts';
import { testLogger } from '../helpers/logger.ts';
import { runAtalaya } from '../helpers/relay-process.ts';
import { waitFor } from '../helpers/wait.ts';
import { BufferWriter, inspect, upgradeBackups, writeAgentYaml } from './backup-setup.ts';
import { makeRecord, WRITER_MAX_AGE_MS } from './fixtures/buffer-writer.ts';

let dir: string;
let writer: BufferWriter | undefined;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atalaya-backup-live-'));
});

afterEach(async () => {
  await writer?.kill();
  writer = undefined;
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('atalaya agent backup while the agent writes', () => {
  it('backup taken while the agent writes at full rate restores to a consistent buffer', async () => {
    const live = path.join(dir, 'live', 'buffer.db');
    const restored = path.join(dir, 'restored', 'buffer.db');
    const liveConfig = writeAgentYaml(dir, 'live.yaml', live);
    const restoredConfig = writeAgentYaml(dir, 'restored.yaml', restored);
    const copy = path.join(dir, 'copy.db');

    const w = (writer = new BufferWriter(live, 1));
    await waitFor(() => w.lastSeq >= 2000 || !w.running, 'the writer under way', 60_000);
    expect(w.running, w.describe()).toBe(true);
    const before = w.lastSeq;
    const backup = await runAtalaya(['agent', 'backup', copy, '-c', liveConfig]);
    expect(backup.stderr).toBe('');
    expect(backup.status).toBe(0);
    // The writer went on committing during and after the copy: it was not stopped or blocked.
    const after = w.lastSeq;
    await waitFor(() => w.lastSeq > after || !w.running, 'more commits after the backup', 60_000);
    expect(w.running, w.describe()).toBe(true);
    await w.kill();

    // The copy is one self-contained file, checked, at the schema version of the live buffer.
    expect(fs.existsSync(`${copy}-wal`)).toBe(false);
    const copied = inspect(copy, "SELECT value FROM meta WHERE key = 'next_seq'");
    expect(copied.integrity).toEqual(['ok']);
    const lastSeq = copied.value - 1;
    // The snapshot has everything committed before the command started, and not what came after it ended.
    expect(lastSeq).toBeGreaterThanOrEqual(before);
    expect(lastSeq).toBeLessThan(w.lastSeq);
    expect(backup.stdout).toContain(`${lastSeq} records, last seq ${lastSeq}, schema version ${copied.version}`);

    const restore = await runAtalaya(['agent', 'restore', copy, '-c', restoredConfig]);
    expect(restore.stderr).toBe('');
    expect(restore.status).toBe(0);
    expect(inspect(restored).integrity).toEqual(['ok']);

    const buffer = new RecordBuffer({ path: restored, maxAgeMs: WRITER_MAX_AGE_MS, clock: systemClock, logger: testLogger() });
    buffer.start();
    try {
      const rows = buffer.readAfter(0, Number.MAX_SAFE_INTEGER);
      // seq is taken from meta.next_seq in the commit that writes the rows: a consistent copy has
      // every seq from 1 to next_seq − 1, none missing, none beyond.
      expect(rows.map((r) => r.seq)).toEqual(Array.from({ length: lastSeq }, (_, k) => k + 1));
      for (const r of rows) expect(r).toEqual({ ...makeRecord(1, r.mono), seq: r.seq });
      // Index order is commit order: the copy is a prefix of what the writer appended.
      expect(rows.map((r) => r.mono)).toEqual(rows.map((_, k) => k));
      expect(buffer.stats()).toMatchObject({ count: lastSeq, lastSeq });
      expect(await buffer.append([makeRecord(2, 0)])).toEqual([lastSeq + 1]);
    } finally {
      await buffer.stop();
    }
    // Restored at the current schema version: nothing to upgrade, so no upgrade copy.
    expect(upgradeBackups(restored)).toEqual([]);
  }, 240_000);
});
