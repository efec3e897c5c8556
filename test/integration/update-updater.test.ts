/**
 * Issue 16 §4, the agent's updater on this machine: a signed release downloaded (resumably),
 * verified, unpacked beside the running version and switched to; refused when its signature is
 * bad; not installed when its download is cut (and resumed next time); confirmed or rolled back
 * by health; and deploy/pi/boot-check.sh switching back from a version that crashes at start.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UPDATE_CRASHED, UPDATE_DOWNLOAD_FAILED, UPDATE_UNHEALTHY } from '../../agent/update/errors.ts';
import { readPending, readResult, writePending } from '../../agent/update/markers.ts';
import { type UpdateConfig, updateConfigSchema } from '../../agent/update/schema.ts';
import { Updater } from '../../agent/update/updater.ts';
import { systemClock } from '../../protocols/clock.ts';
import { RELEASE_SIGNATURE_INVALID, releasePublicKey } from '../../protocols/release/index.ts';
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
import { waitFor } from '../helpers/wait.ts';

const BOOT_CHECK = path.resolve(import.meta.dirname, '../../deploy/pi/boot-check.sh');

describe('agent updater', () => {
  const keys = generateReleaseKeyPair();
  const stranger = generateReleaseKeyPair();
  let dir: string;
  let server: RangeServer;
  let good: SignedRelease;
  let forged: SignedRelease;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'atalaya-update-'));
    good = signRelease(fakeReleaseTarball(dir, '0.2.0', 256 * 1024), '0.2.0', keys);
    forged = signRelease(fakeReleaseTarball(dir, '0.3.0'), '0.3.0', stranger);
    server = await rangeServer(new Map([good, forged].map((r) => [path.basename(r.tarball), r.tarball])));
  });
  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** An install root with 0.1.0 current, as deploy/pi/install.sh leaves it. */
  function installRoot(name: string): { root: string; config: UpdateConfig } {
    const root = path.join(dir, name, 'opt');
    mkdirSync(path.join(root, '0.1.0', 'bin'), { recursive: true });
    symlinkSync('0.1.0', path.join(root, 'current'));
    const config = updateConfigSchema.parse({
      enabled: true,
      publicKey: keys.publicKeyPem,
      root,
      dir: path.join(dir, name, 'dl'),
      confirmDeadlineS: 5,
      maxStarts: 2,
    });
    return { root, config };
  }

  function updater(config: UpdateConfig, version: string, o: { healthy?: () => boolean; restarts?: string[] } = {}): Updater {
    return new Updater({
      config,
      publicKeys: [releasePublicKey(keys.publicKeyPem)],
      version,
      baseUrl: undefined,
      healthy: o.healthy ?? (() => false),
      restart: (reason) => o.restarts?.push(reason),
      clock: systemClock,
      logger: testLogger(),
      checkEveryMs: 20,
    });
  }

  it('downloads, verifies, unpacks beside the running version, marks it pending, switches current and asks for a restart', async () => {
    const { root, config } = installRoot('happy');
    const restarts: string[] = [];
    // A download of a version the relay no longer asks for.
    mkdirSync(config.dir, { recursive: true });
    writeFileSync(path.join(config.dir, `0.1.9-${'0'.repeat(16)}.part`), 'stale');
    const u = updater(config, '0.1.0', { restarts });
    u.start();
    await u.apply(answerFor(good, server.url(path.basename(good.tarball))));
    await u.whenSettled();
    expect(u.report()).toMatchObject({ current: '0.1.0', state: 'switching', target: '0.2.0', progress: 1 });
    expect(readlinkSync(path.join(root, 'current'))).toBe('0.2.0');
    expect(JSON.parse(readFileSync(path.join(root, '0.2.0', 'package.json'), 'utf8')).version).toBe('0.2.0');
    expect(existsSync(path.join(root, '0.1.0'))).toBe(true);
    expect(readPending(root)).toEqual({ previous: '0.1.0', next: '0.2.0', starts: 0, maxStarts: 2 });
    expect(restarts).toEqual(['update to 0.2.0']);
    // No download left behind, no stage.
    expect(existsSync(config.dir) ? execFileSync('ls', ['-A', config.dir]).toString() : '').toBe('');
    await u.stop();

    // The new version starts and stores a record: it confirms, the marker goes.
    let healthy = false;
    const next = updater(config, '0.2.0', { healthy: () => healthy });
    next.start();
    expect(next.report().state).toBe('confirming');
    healthy = true;
    await waitFor(() => next.report().state === 'idle', 'confirmed');
    expect(readPending(root)).toBeUndefined();
    expect(readResult(root)).toMatchObject({ state: 'confirmed', version: '0.2.0', from: '0.1.0' });
    await next.stop();
  });

  it('refuses a release signed by another key before downloading a byte, and does not retry it', async () => {
    const { root, config } = installRoot('forged');
    const u = updater(config, '0.1.0');
    u.start();
    const name = path.basename(forged.tarball);
    const answer = answerFor(forged, server.url(name));
    await u.apply(answer);
    await u.whenSettled();
    expect(u.report()).toMatchObject({ state: 'failed', target: '0.3.0', reason: RELEASE_SIGNATURE_INVALID });
    await u.apply(answer);
    await u.whenSettled();
    expect(server.requests.filter((r) => r.name === name)).toEqual([]);
    expect(readlinkSync(path.join(root, 'current'))).toBe('0.1.0');
    // A manifest re-signed by nobody: the good release's manifest with a forged size.
    const tampered = {
      ...answerFor(good, server.url(path.basename(good.tarball))),
      manifest: Buffer.from(good.manifest.toString().replace(/"size": \d+/, '"size": 5')).toString('base64'),
    };
    const v = updater(config, '0.1.0');
    v.start();
    await v.apply(tampered);
    await v.whenSettled();
    expect(v.report()).toMatchObject({ state: 'failed', reason: RELEASE_SIGNATURE_INVALID });
    await u.stop();
    await v.stop();
  });

  it('keeps a cut download as a part file, installs nothing, and resumes it from where it stopped', async () => {
    const { root, config } = installRoot('cut');
    const name = path.basename(good.tarball);
    const before = server.sent.get(name) ?? 0;
    server.cutNextAfter = Math.floor(good.size / 2);
    const u = updater(config, '0.1.0');
    u.start();
    await u.apply(answerFor(good, server.url(name)));
    await u.whenSettled();
    expect(u.report()).toMatchObject({ state: 'failed', reason: UPDATE_DOWNLOAD_FAILED });
    expect(readlinkSync(path.join(root, 'current'))).toBe('0.1.0');
    expect(existsSync(path.join(root, '0.2.0'))).toBe(false);
    const part = path.join(config.dir, `0.2.0-${good.sha256.slice(0, 16)}.part`);
    expect(statSync(part).size).toBe(Math.floor(good.size / 2));

    // After a restart (a new updater on the same files): only the rest crosses the link.
    const restarts: string[] = [];
    const again = updater(config, '0.1.0', { restarts });
    again.start();
    await again.apply(answerFor(good, server.url(name)));
    await again.whenSettled();
    expect(readlinkSync(path.join(root, 'current'))).toBe('0.2.0');
    expect((server.sent.get(name) ?? 0) - before).toBe(good.size);
    expect(server.requests.filter((r) => r.name === name).at(-1)?.range).toBe(`bytes=${Math.floor(good.size / 2)}-`);
    expect(restarts).toHaveLength(1);
    await u.stop();
    await again.stop();
  });

  it('switches back by itself when the new version does not confirm its health in time', async () => {
    const { root, config } = installRoot('unhealthy');
    mkdirSync(path.join(root, '0.2.0'));
    writePending(root, { previous: '0.1.0', next: '0.2.0', starts: 1, maxStarts: 2 });
    execFileSync('ln', ['-sfn', '0.2.0', path.join(root, 'current')]);
    const restarts: string[] = [];
    const u = updater({ ...config, confirmDeadlineS: 0 }, '0.2.0', { restarts });
    u.start();
    await waitFor(() => restarts.length > 0, 'a restart after the rollback');
    expect(readlinkSync(path.join(root, 'current'))).toBe('0.1.0');
    expect(readResult(root)).toMatchObject({ state: 'rolled_back', version: '0.2.0', reason: UPDATE_UNHEALTHY });
    expect(readPending(root)).toBeUndefined();
    await u.stop();
    // Back on 0.1.0: it reports the rollback and does not try 0.2.0 again.
    const old = updater(config, '0.1.0');
    old.start();
    expect(old.report()).toMatchObject({ current: '0.1.0', state: 'rolled_back', target: '0.2.0', reason: UPDATE_UNHEALTHY });
    await old.apply(answerFor(good, server.url(path.basename(good.tarball))));
    await old.whenSettled();
    expect(readlinkSync(path.join(root, 'current'))).toBe('0.1.0');
    await old.stop();
  });

  it('clears a pending marker when the process was killed before the switch', async () => {
    const { root, config } = installRoot('killed');
    writePending(root, { previous: '0.1.0', next: '0.2.0', starts: 0, maxStarts: 2 });
    const u = updater(config, '0.1.0');
    u.start();
    expect(readPending(root)).toBeUndefined();
    expect(u.report().state).toBe('idle');
    await u.stop();
  });

  describe('boot check (deploy/pi/boot-check.sh, before every start)', () => {
    const boot = (root: string): void => {
      execFileSync('sh', [BOOT_CHECK, root]);
    };

    it('counts the starts of the new version and switches back after maxStarts', () => {
      const { root } = installRoot('crash');
      mkdirSync(path.join(root, '0.2.0'));
      writePending(root, { previous: '0.1.0', next: '0.2.0', starts: 0, maxStarts: 2 });
      execFileSync('ln', ['-sfn', '0.2.0', path.join(root, 'current')]);
      boot(root);
      expect(readPending(root)?.starts).toBe(1);
      boot(root);
      expect(readPending(root)?.starts).toBe(2);
      expect(readlinkSync(path.join(root, 'current'))).toBe('0.2.0');
      boot(root);
      expect(readlinkSync(path.join(root, 'current'))).toBe('0.1.0');
      expect(readPending(root)).toBeUndefined();
      expect(readResult(root)).toMatchObject({ state: 'rolled_back', version: '0.2.0', from: '0.1.0', reason: UPDATE_CRASHED });
      boot(root);
      expect(readlinkSync(path.join(root, 'current'))).toBe('0.1.0');
    });

    it('leaves everything alone without a pending update, and drops a marker whose switch never happened', () => {
      const { root } = installRoot('boot-idle');
      boot(root);
      expect(readlinkSync(path.join(root, 'current'))).toBe('0.1.0');
      writePending(root, { previous: '0.1.0', next: '0.2.0', starts: 0, maxStarts: 2 });
      boot(root);
      expect(readPending(root)).toBeUndefined();
      expect(readlinkSync(path.join(root, 'current'))).toBe('0.1.0');
    });
  });
});
