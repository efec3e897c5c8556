/** A throwaway root for deploy/pi/install.sh and uninstall.sh (ATALAYA_ROOT), and fake releases to install. */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export const INSTALL = path.resolve('deploy/pi/install.sh');
export const UNINSTALL = path.resolve('deploy/pi/uninstall.sh');

/** Path → type, mode, owner and content (sha256) or link target: all of a tree but its timestamps. */
export function snapshot(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string): void => {
    const abs = path.join(root, rel);
    const st = fs.lstatSync(abs);
    const mode = (st.mode & 0o7777).toString(8).padStart(4, '0');
    const who = `${st.uid}:${st.gid}`;
    if (st.isSymbolicLink()) out[rel] = `link ${fs.readlinkSync(abs)}`;
    else if (st.isDirectory()) {
      out[rel] = `dir ${mode} ${who}`;
      for (const name of fs.readdirSync(abs).sort()) walk(path.join(rel, name));
    } else out[rel] = `file ${mode} ${who} ${createHash('sha256').update(fs.readFileSync(abs)).digest('hex')}`;
  };
  walk('.');
  return out;
}

/** A release tarball laid out as `npm run release` makes it: atalaya/{bin,dist,node_modules,package.json}. */
export function fakeRelease(dir: string, version: string, layout: 'release' | 'not-a-release' = 'release'): string {
  const src = path.join(dir, `src-${version}`, 'atalaya');
  fs.mkdirSync(path.join(src, 'bin'), { recursive: true });
  fs.mkdirSync(path.join(src, 'dist', 'cli'), { recursive: true });
  fs.mkdirSync(path.join(src, 'node_modules', 'yaml'), { recursive: true });
  fs.writeFileSync(path.join(src, 'bin', 'atalaya.mjs'), '#!/usr/bin/env node\n', { mode: 0o644 });
  // Modes as a careless build might leave them: the install makes them 0644/0755.
  fs.writeFileSync(path.join(src, 'dist', 'cli', 'main.js'), `export const version = '${version}';\n`, { mode: 0o600 });
  fs.writeFileSync(path.join(src, 'node_modules', 'yaml', 'index.js'), 'module.exports = {};\n', { mode: 0o666 });
  if (layout === 'release') fs.writeFileSync(path.join(src, 'package.json'), `{\n  "name": "atalaya",\n  "version": "${version}",\n  "type": "module"\n}\n`);
  const tarball = path.join(dir, `atalaya-${version}-linux-arm64.tar.gz`);
  const r = spawnSync('tar', ['-czf', tarball, '-C', path.dirname(src), 'atalaya'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`tar: ${r.stderr}`);
  return tarball;
}

export function run(script: string, root: string, args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('sh', [script, ...args], { encoding: 'utf8', env: { ...process.env, ATALAYA_ROOT: root }, timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

export function ok(script: string, root: string, args: string[]): string {
  const r = run(script, root, args);
  if (r.status !== 0) throw new Error(`${path.basename(script)} exited ${r.status}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}
