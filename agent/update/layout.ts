/**
 * The install root's layout (deploy/pi/install.sh makes the same): `<root>/<version>/` holds one
 * unpacked release, `<root>/current` is a relative symlink to the version systemd runs. A version
 * directory appears whole (unpacked in a stage beside it, then renamed) and `current` switches
 * by renaming a new link over it, so a power cut or a SIGKILL leaves either the old or the new
 * version in place, never a mix.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { fsyncPath } from '../../platform/fsync.ts';
import { UPDATE_INSTALL_FAILED, UpdateError } from './errors.ts';

const run = promisify(execFile);
/** Written into a version directory the updater unpacked: which tarball it came from. */
const SOURCE_FILE = '.release-sha256';

/** The version `current` points to; undefined without the link (a checkout, a test). */
export function currentVersion(root: string): string | undefined {
  try {
    return path.basename(readlinkSync(path.join(root, 'current')));
  } catch {
    return undefined;
  }
}

/** Points `current` at `version` (relative link) in one rename. */
export function switchCurrent(root: string, version: string): void {
  const tmp = path.join(root, '.current.tmp');
  rmSync(tmp, { force: true });
  symlinkSync(version, tmp);
  renameSync(tmp, path.join(root, 'current'));
  fsyncPath(root);
}

/**
 * Unpacks a verified tarball into `<root>/<version>`; a directory already there from the same
 * tarball is kept. Throws ATALAYA_UPDATE_INSTALL_FAILED (cause chained).
 */
export async function unpackRelease(root: string, tarball: string, version: string, sha256: string): Promise<void> {
  const dest = path.join(root, version);
  if (existsSync(path.join(dest, SOURCE_FILE)) && readFileSync(path.join(dest, SOURCE_FILE), 'utf8').trim() === sha256) return;
  // A stage left by an update that was killed.
  removeLeftovers(root);
  const stage = mkdtempSync(path.join(root, '.stage.'));
  try {
    await run('tar', ['-xzf', tarball, '-C', stage, '--no-same-owner']).catch((err: unknown) => {
      throw new UpdateError(UPDATE_INSTALL_FAILED, 'unpacking the release failed', { cause: err });
    });
    const app = path.join(stage, 'atalaya');
    let shipped: unknown;
    try {
      shipped = (JSON.parse(readFileSync(path.join(app, 'package.json'), 'utf8')) as { version?: unknown }).version;
    } catch (err) {
      throw new UpdateError(UPDATE_INSTALL_FAILED, 'not an atalaya release (no atalaya/package.json)', { cause: err });
    }
    if (shipped !== version || !existsSync(path.join(app, 'bin', 'atalaya.mjs')))
      throw new UpdateError(UPDATE_INSTALL_FAILED, `the release's package.json says ${String(shipped)}, the manifest ${version}`, {
        details: { shipped, version },
      });
    writeFileSync(path.join(app, SOURCE_FILE), `${sha256}\n`);
    if (existsSync(dest)) renameSync(dest, path.join(mkdtempSync(path.join(root, '.trash.')), 'old'));
    renameSync(app, dest);
    fsyncPath(root);
  } catch (err) {
    if (err instanceof UpdateError) throw err;
    throw new UpdateError(UPDATE_INSTALL_FAILED, 'putting the release in place failed', { cause: err });
  } finally {
    rmSync(stage, { recursive: true, force: true });
    removeLeftovers(root);
  }
}

function removeLeftovers(root: string): void {
  for (const name of readdirSync(root))
    if (name.startsWith('.stage.') || name.startsWith('.trash.')) rmSync(path.join(root, name), { recursive: true, force: true });
}
