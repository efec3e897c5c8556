import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Sqlite from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../agent/config/load.ts';
import { Agent } from '../../agent/main.ts';
import { isPlatformError, PLATFORM_PART_STOP_FAILED, PLATFORM_PART_STOP_TIMEOUT, PLATFORM_STOP_FAILED } from '../../platform/errors.ts';
import type { Part } from '../../platform/lifecycle.ts';
import { type NewRecord, PRIORITY } from '../../protocols/records.ts';
import { testLogger } from '../helpers/logger.ts';

// Issue 12 §4: a part whose stop() throws or hangs must not keep the buffer from committing the
// readings still queued in its group-commit window.

const reading = (i: number): NewRecord => ({
  kind: 'reading',
  device: 'gas-1',
  channel: 'ch4',
  value: i,
  unit: '%LEL',
  quality: 'good',
  exception: null,
  ts: 1_750_000_000_000 + i,
  mono: 1000 + i,
  bootId: 'b0a1c2d3-0000-4000-8000-000000000001',
  priority: PRIORITY.ordinary,
  flags: 0,
});
const readings = (from: number, count: number): NewRecord[] => Array.from({ length: count }, (_, i) => reading(from + i));

describe('agent shutdown', () => {
  let dir: string | undefined;
  let agent: Agent | undefined;
  afterEach(async () => {
    await agent?.stop().catch(() => undefined);
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    agent = dir = undefined;
  });

  it.each([
    ['throws', PLATFORM_PART_STOP_FAILED],
    ['hangs past its deadline', PLATFORM_PART_STOP_TIMEOUT],
  ] as const)('a part whose stop %s: every reading queued in the buffer is still committed to the file', async (how, code) => {
    dir = mkdtempSync(path.join(tmpdir(), 'atalaya-shutdown-'));
    const file = path.join(dir, 'buffer.db');
    // The longest group-commit window: only buffer.stop() commits what is queued in it.
    const config = parseConfig({
      gateway: { id: 'gw-stop' },
      buffer: { path: file, commitIntervalMs: 10_000 },
      mqtt: { enabled: false },
      status: { enabled: false },
    });
    const pending: Promise<number[]>[] = [];
    let a: Agent;
    // Stopped first: hands its last readings to the buffer (as the broker does with a QoS 1
    // publish in flight), then fails.
    const failing: Part = {
      name: 'failing part',
      start: () => undefined,
      stop: () => {
        pending.push(a.buffer.append(readings(1000, 100)));
        if (how === 'throws') throw new Error('cannot stop');
        return new Promise<void>(() => undefined);
      },
    };
    a = agent = new Agent(config, { logger: testLogger(), parts: [failing], stopDeadlineMs: 200 });
    await a.start();
    // Committed at once (the first window is open); the next window closes 10 s after it.
    await a.buffer.append(readings(0, 1));
    pending.push(a.buffer.append(readings(1, 500)));
    expect(a.buffer.stats().count).toBe(1);

    const err = await a.stop().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isPlatformError(err, PLATFORM_STOP_FAILED)).toBe(true);
    expect(isPlatformError((err as Error).cause, code)).toBe(true);
    expect((await Promise.all(pending)).flat()).toHaveLength(600);

    const db = new Sqlite(file, { readonly: true });
    try {
      expect(db.prepare('SELECT count(*) FROM records').pluck().get()).toBe(601);
    } finally {
      db.close();
    }
    // Stopped: a second stop() has nothing left to do.
    await a.stop();
  });
});
