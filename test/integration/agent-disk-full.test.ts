import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../agent/config/load.ts';
import { Agent } from '../../agent/main.ts';
import { waitFor } from '../helpers/wait.ts';
import { type Bench, startBench } from './agent-setup.ts';

/**
 * Issue 19 item 6 at the agent level: four devices polled every 100 ms into a buffer on a full
 * tmpfs (root needed, as in CI; fails rather than skips without it). The report saw ~48 error
 * lines a second with stack traces, one per commit and one per device poll. Expected: one line
 * for the state, none per poll, the state in the buffer's stats.
 */
const DEVICES = 4;

describe('agent on a full disk', () => {
  let bench: Bench | undefined;
  let agent: Agent | undefined;
  let card = '';
  let mounted = false;
  const lines: Array<{ level: number; msg: string; component?: string; stack?: string }> = [];

  beforeAll(async () => {
    if (process.getuid?.() !== 0) throw new Error('this test mounts a tmpfs: run it as root (the suite does, here and in CI)');
    bench = await startBench(
      'tcp',
      Array.from({ length: DEVICES }, (_, i) => ({ unitId: i + 1, kind: 'gas-detector' as const, scenario: 'steady' as const })),
    );
    card = path.join(bench.dir, 'card');
    fs.mkdirSync(card);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', card]);
    mounted = true;
    const config = parseConfig({
      gateway: { id: 'gw-full' },
      buffer: { path: path.join(card, 'buffer.db'), commitIntervalMs: 20, minFreeBytes: 0 },
      devices: Array.from({ length: DEVICES }, (_, i) => ({ id: `gas-${i + 1}`, profile: 'gas-detector', intervalMs: 100, ...bench!.at(i + 1) })),
      mqtt: { enabled: false },
      status: { enabled: false },
    });
    const logger = pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s)) });
    agent = new Agent(config, { logger });
    await agent.start();
  });

  afterAll(async () => {
    await agent?.stop();
    if (mounted) execFileSync('umount', [card]);
    await bench?.close();
  });

  it('reports one state, logs it once, and logs nothing per device poll', async () => {
    await waitFor(() => agent!.buffer.stats().lastSeq > 0, 'the first commit');
    const filler = path.join(card, 'filler');
    const fd = fs.openSync(filler, 'a');
    try {
      for (;;) fs.writeSync(fd, Buffer.alloc(64 * 1024, 1));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
    } finally {
      fs.closeSync(fd);
    }
    const from = lines.length;
    await waitFor(() => agent!.buffer.stats().health.state === 'disk_full', 'the buffer to report disk_full');
    // ~40 polls and ~40 failed commits a second: wait for a few dozen of them, not a fixed time.
    await waitFor(() => agent!.buffer.stats().health.failedCommits > 20, 'failed commits while the disk is full');
    const health = agent!.buffer.stats().health;
    const during = lines.slice(from);
    const summary = JSON.stringify({ health, lines: during.map((l) => l.msg) });
    expect(health.failedCommits, summary).toBeGreaterThan(20);
    expect(
      during.filter((l) => l.msg === 'records not stored'),
      summary,
    ).toEqual([]);
    expect(
      during.filter((l) => l.level >= 50),
      summary,
    ).toHaveLength(1);
    expect(
      during.some((l) => l.stack !== undefined || JSON.stringify(l).includes('"stack"')),
      summary,
    ).toBe(false);
    fs.rmSync(filler);
  });
});
