/**
 * Issue 16 §4: SIGKILL at any moment of an update (download, verification, unpack, switch) leaves
 * the gateway on a consistent version. A process running only the updater is killed at moments
 * spread over a whole update; each time the next start (deploy/pi/boot-check.sh, then the
 * updater) finds `current` pointing at a complete version, and a pending marker only when
 * `current` is the version it names; a later attempt then finishes the update.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readPending } from '../../agent/update/markers.ts';
import { RESTART_EXIT_CODE } from '../../agent/update/restart.ts';
import { updateConfigSchema } from '../../agent/update/schema.ts';
import { Updater } from '../../agent/update/updater.ts';
import { systemClock } from '../../protocols/clock.ts';
import { releasePublicKey } from '../../protocols/release/index.ts';
import { testLogger } from '../helpers/logger.ts';
import {
  answerFor,
  fakeReleaseTarball,
  generateReleaseKeyPair,
  type RangeServer,
  rangeServer,
  type SignedRelease,
  signRelease,
} from '../helpers/update-release.ts';

const CHILD = path.resolve(import.meta.dirname, '../helpers/update-child.ts');
const BOOT_CHECK = path.resolve(import.meta.dirname, '../../deploy/pi/boot-check.sh');

describe('SIGKILL during an update', () => {
  const keys = generateReleaseKeyPair();
  let dir: string;
  let server: RangeServer;
  let release: SignedRelease;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'atalaya-update-kill-'));
    // Big enough that unpacking takes a while; paced so that downloading does too.
    release = signRelease(fakeReleaseTarball(dir, '0.2.0', 8 * 1024 * 1024), '0.2.0', keys);
    server = await rangeServer(new Map([[path.basename(release.tarball), release.tarball]]));
  });
  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function setup(name: string): { root: string; config: Record<string, unknown> } {
    const root = path.join(dir, name, 'opt');
    mkdirSync(path.join(root, '0.1.0', 'bin'), { recursive: true });
    execFileSync('sh', ['-c', `echo '{"name":"atalaya","version":"0.1.0"}' > "${root}/0.1.0/package.json"`]);
    symlinkSync('0.1.0', path.join(root, 'current'));
    return {
      root,
      config: { enabled: true, publicKey: keys.publicKeyPem, root, dir: path.join(dir, name, 'dl'), maxStarts: 2, rateBytesPerS: 16 * 1024 * 1024 },
    };
  }

  /** Runs the updater child; kills it `afterMs` after it entered `state` (no kill: lets it finish). */
  function runChild(config: Record<string, unknown>, kill?: { state: string; afterMs: number }): Promise<{ code: number | null; signal: string | null }> {
    const arg = JSON.stringify({
      config,
      publicKeyPem: keys.publicKeyPem,
      version: '0.1.0',
      answer: answerFor(release, server.url(path.basename(release.tarball))),
    });
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, arg], { stdio: ['ignore', 'pipe', 'inherit'] });
    let timer: NodeJS.Timeout | undefined;
    let text = '';
    child.stdout!.on('data', (d: Buffer) => {
      text += d.toString();
      if (kill !== undefined && timer === undefined && text.includes(`state ${kill.state}\n`)) timer = setTimeout(() => child.kill('SIGKILL'), kill.afterMs);
    });
    return new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        resolve({ code, signal });
      }),
    );
  }

  /** What the next start sees, after the boot check: consistent or not. */
  function nextStart(root: string): string {
    execFileSync('sh', [BOOT_CHECK, root]);
    const current = readlinkSync(path.join(root, 'current'));
    const pkg = JSON.parse(readFileSync(path.join(root, current, 'package.json'), 'utf8')) as { version: string };
    expect(pkg.version, 'current points to a complete version').toBe(current);
    const pending = readPending(root);
    if (pending !== undefined) expect(pending.next, 'a pending marker names the version current points to').toBe(current);
    // The version current points to starts: its updater settles the marker either way.
    const u = new Updater({
      config: updateConfigSchema.parse({ enabled: true, publicKey: keys.publicKeyPem, root, dir: path.join(root, '..', 'dl') }),
      publicKeys: [releasePublicKey(keys.publicKeyPem)],
      version: current,
      baseUrl: undefined,
      healthy: () => true,
      restart: () => undefined,
      clock: systemClock,
      logger: testLogger(),
    });
    u.start();
    void u.stop();
    expect(readPending(root)).toBeUndefined();
    return current;
  }

  it('leaves a consistent version wherever it lands, and a later attempt completes the update', async () => {
    const whole = setup('whole');
    const full = await runChild(whole.config);
    expect(full.code).toBe(RESTART_EXIT_CODE);
    expect(readlinkSync(path.join(whole.root, 'current'))).toBe('0.2.0');

    const landed: string[] = [];
    const moments = [
      { state: 'downloading', afterMs: 0 },
      { state: 'downloading', afterMs: 150 },
      { state: 'switching', afterMs: 0 },
      { state: 'switching', afterMs: 15 },
      { state: 'switching', afterMs: 40 },
      { state: 'switching', afterMs: 80 },
    ];
    for (const [k, moment] of moments.entries()) {
      const { root, config } = setup(`kill-${k}`);
      const killed = await runChild(config, moment);
      landed.push(`${moment.state}+${moment.afterMs}ms:${killed.signal ?? killed.code}→${nextStart(root)}`);
      if (readlinkSync(path.join(root, 'current')) === '0.1.0') {
        // Again, to the end: the part file is resumed, stages are cleaned.
        expect((await runChild(config)).code).toBe(RESTART_EXIT_CODE);
        expect(readlinkSync(path.join(root, 'current'))).toBe('0.2.0');
      }
      expect(existsSync(path.join(root, '0.2.0', 'package.json'))).toBe(true);
      expect(
        execFileSync('ls', ['-A', root])
          .toString()
          .split('\n')
          .filter((n) => n.startsWith('.stage.') || n.startsWith('.trash.')),
      ).toEqual([]);
    }
    process.stderr.write(`update-sigkill: ${landed.join(', ')}\n`);
    // Some kills land before the switch and some after it (then the new version is what starts).
    expect(landed.some((l) => l.endsWith('→0.1.0'))).toBe(true);
  }, 120_000);
});
