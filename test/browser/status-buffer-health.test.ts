/**
 * The status page when the buffer cannot write (issue 19 item 6): a real agent whose buffer is on a
 * tmpfs of a few MiB (mounting needs root, which the suite has here and in CI; it fails rather
 * than skips without it), filled by another file. The page shows one red banner and the Writes
 * tile; the overview API and /metrics say the same; freeing the disk clears them.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Agent } from '../../agent/main.ts';
import { launchBrowser, type TestBrowser } from '../helpers/browser.ts';
import { type Bench, startAgent, startBench } from '../integration/agent-setup.ts';
import { api, STATUS_TOKEN, statusSection, statusUrl } from '../integration/status-setup.ts';
import { openPage, testId, textOf, unexpectedProblems, WAIT_MS, waitForData, waitForText } from './setup.ts';

let bench: Bench | undefined;
let agent: Agent | undefined;
let tb: TestBrowser | undefined;
let card = '';
let mounted = false;

beforeAll(async () => {
  if (process.getuid?.() !== 0) throw new Error('this test mounts a tmpfs: run it as root (the suite does, here and in CI)');
  bench = await startBench('tcp', [{ unitId: 1, kind: 'gas-detector', scenario: 'steady' }]);
  card = path.join(bench.dir, 'card');
  fs.mkdirSync(card);
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', card]);
  mounted = true;
  agent = await startAgent(bench, [{ id: 'gas', profile: 'gas-detector', intervalMs: 200, ...bench.at(1) }], {
    status: statusSection,
    buffer: { path: path.join(card, 'buffer.db'), commitIntervalMs: 20, minFreeBytes: 0 },
  });
  tb = await launchBrowser();
});

afterAll(async () => {
  await tb?.close();
  await agent?.stop();
  if (mounted) execFileSync('umount', [card]);
  await bench?.close();
});

function fillUp(file: string): void {
  const fd = fs.openSync(file, 'a');
  const chunk = Buffer.alloc(64 * 1024, 1);
  try {
    for (;;) fs.writeSync(fd, chunk);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  } finally {
    fs.closeSync(fd);
  }
}

describe('status page: buffer cannot write', () => {
  it('shows a disk-full banner and the Writes tile, and clears them once the disk has room', async () => {
    const { page, problems } = await openPage(tb!);
    const base = statusUrl(agent!);
    await page.context().addCookies([{ name: 'atalaya_status', value: STATUS_TOKEN, url: base }]);
    await page.goto(`${base}/`);
    await page.locator(testId('app')).waitFor({ state: 'visible', timeout: WAIT_MS });
    await waitForData(page, 'live-indicator', 'state', 'live');
    await waitForText(page, 'overview-buffer-health', 'ok');
    expect(await page.locator(testId('buffer-warning')).isHidden()).toBe(true);

    const filler = path.join(card, 'filler');
    fillUp(filler);
    const banner = page.locator(testId('buffer-warning'));
    await banner.waitFor({ state: 'visible', timeout: WAIT_MS });
    expect(await textOf(page, 'buffer-warning')).toMatch(/^Buffer cannot write: disk full — readings are being lost \(SQLITE_FULL/);
    await waitForText(page, 'overview-buffer-health', 'disk full');

    const overview = await api<{ buffer: { health: { state: string; failedCommits: number; lastErrorCode: string } } }>(agent!, '/api/overview');
    expect(overview.body.buffer.health).toMatchObject({ state: 'disk_full', lastErrorCode: expect.stringMatching(/^SQLITE_FULL/) });
    expect(overview.body.buffer.health.failedCommits).toBeGreaterThan(0);
    const metrics = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${STATUS_TOKEN}` } }).then((r) => r.text());
    expect(metrics).toMatch(/^atalaya_buffer_writable 0$/m);
    expect(metrics).toMatch(/^atalaya_buffer_write_failures_total [1-9]\d*$/m);

    fs.rmSync(filler);
    await banner.waitFor({ state: 'hidden', timeout: WAIT_MS });
    await waitForText(page, 'overview-buffer-health', 'ok');
    expect(unexpectedProblems(problems)).toEqual([]);
  });
});
