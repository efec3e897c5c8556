/**
 * Issue 16 §4, the commands as a release signer and a relay operator run them: `atalaya release
 * keygen` (private key 0600, public key printed), `release sign` (manifest and detached signature
 * next to the tarball), `relay release add` accepting the signed release and refusing a tampered
 * one (exit 1, the code on stderr), nothing else hosted.
 */
import { spawn } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newRelayKey } from '../../cloud/secrets.ts';
import { RELEASE_SIGNATURE_INVALID } from '../../protocols/release/index.ts';
import { fakeReleaseTarball } from '../helpers/update-release.ts';

const BIN = path.resolve(import.meta.dirname, '../../bin/atalaya.mjs');

function cli(args: string[], cwd: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('release signing and hosting commands', () => {
  let dir: string;
  let tarball: string;

  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'atalaya-release-cli-'));
    mkdirSync(path.join(dir, 'build'));
    tarball = fakeReleaseTarball(path.join(dir, 'build'), '0.3.0', 4096);
    writeFileSync(path.join(dir, 'relay.key'), `${newRelayKey()}\n`, { mode: 0o600 });
    writeFileSync(
      path.join(dir, 'relay.yaml'),
      'storage: {kind: sqlite, path: relay.db}\nkeyFile: relay.key\nreleases: {enabled: true, publicKeys: [release.pub], dir: hosted}\n',
    );
  });
  afterAll(() => {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it('makes a key, signs a release, and the relay hosts only what verifies', async () => {
    const keygen = await cli(['release', 'keygen', '--out', 'release.key', '--public', 'release.pub'], dir);
    expect(keygen.code, keygen.stderr).toBe(0);
    expect(statSync(path.join(dir, 'release.key')).mode & 0o777).toBe(0o600);
    expect(keygen.stdout).toBe(readFileSync(path.join(dir, 'release.pub'), 'utf8'));
    expect(keygen.stdout).toMatch(/^-----BEGIN PUBLIC KEY-----/);

    const sign = await cli(['release', 'sign', tarball, '--key', 'release.key'], dir);
    expect(sign.code, sign.stderr).toBe(0);
    const manifest = `${tarball}.manifest.json`;
    expect(JSON.parse(readFileSync(manifest, 'utf8'))).toMatchObject({ version: '0.3.0', file: path.basename(tarball), size: statSync(tarball).size });

    const add = await cli(['relay', 'release', 'add', tarball, manifest, `${manifest}.sig`, '-c', 'relay.yaml'], dir);
    expect(add.code, add.stderr).toBe(0);
    expect(statSync(path.join(dir, 'hosted', '0.3.0', path.basename(tarball))).size).toBe(statSync(tarball).size);

    // A manifest changed after signing (a version bumped by hand): refused before anything is stored.
    writeFileSync(manifest, readFileSync(manifest, 'utf8').replace('0.3.0', '0.3.1'));
    appendFileSync(tarball, 'x');
    const forged = await cli(['relay', 'release', 'add', tarball, manifest, `${manifest}.sig`, '-c', 'relay.yaml'], dir);
    expect(forged.code).toBe(1);
    expect(forged.stderr).toContain(RELEASE_SIGNATURE_INVALID);
  }, 60_000);
});
