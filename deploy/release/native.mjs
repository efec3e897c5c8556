// Native addons of the linux-arm64 release. @serialport/bindings-cpp carries its arm64 prebuild in
// the npm tarball; better-sqlite3 12 carries none (its install script downloads one from GitHub),
// so its addon is cross-compiled here from the exact source npm installed, with Debian's
// aarch64-linux-gnu toolchain and the headers of the Node the release targets.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';

/** ELF e_machine of arm64 (ELF for the Arm 64-bit Architecture, §5.1: EM_AARCH64 = 183). */
const EM_AARCH64 = 183;
const TRIPLE = 'aarch64-linux-gnu';

/** The ELF machine of a file, undefined when it is not a 64-bit little-endian ELF. */
export function elfMachine(file) {
  const head = readFileSync(file).subarray(0, 20);
  // e_ident: "\x7fELF", EI_CLASS 2 (64-bit), EI_DATA 1 (little-endian); e_machine at offset 18.
  if (head.length < 20 || head.readUInt32BE(0) !== 0x7f454c46 || head[4] !== 2 || head[5] !== 1) return undefined;
  return head.readUInt16LE(18);
}

export const isArm64Elf = (file) => elfMachine(file) === EM_AARCH64;

/** Every *.node file under dir. */
export function nativeAddons(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const file = path.join(dir, name);
    const st = statSync(file, { throwIfNoEntry: false });
    if (st === undefined) continue; // a dangling symlink
    if (st.isDirectory()) out.push(...nativeAddons(file));
    else if (name.endsWith('.node')) out.push(file);
  }
  return out;
}

/** NODE_MODULE_VERSION of the headers in nodedir (include/node/node_version.h). */
export function nodeAbi(nodedir) {
  const header = path.join(nodedir, 'include', 'node', 'node_version.h');
  if (!existsSync(header)) throw new Error(`no Node headers in ${nodedir} (expected ${header}); pass --nodedir`);
  const text = readFileSync(header, 'utf8');
  const abi = /#define NODE_MODULE_VERSION (\d+)/.exec(text)?.[1];
  const major = /#define NODE_MAJOR_VERSION (\d+)/.exec(text)?.[1];
  if (abi === undefined || major === undefined) throw new Error(`${header}: no NODE_MODULE_VERSION`);
  return { abi: Number(abi), major: Number(major) };
}

/** node-gyp as npm bundles it; NODE_GYP overrides. */
function nodeGyp() {
  if (process.env.NODE_GYP) return process.env.NODE_GYP;
  const globalRoot = execFileSync('npm', ['root', '-g'], { encoding: 'utf8' }).trim();
  const bundled = path.join(globalRoot, 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
  if (!existsSync(bundled)) throw new Error(`node-gyp not found at ${bundled}; set NODE_GYP`);
  return bundled;
}

function requireToolchain() {
  try {
    execFileSync(`${TRIPLE}-g++`, ['--version'], { stdio: 'ignore' });
  } catch {
    throw new Error(`${TRIPLE}-g++ not found: run deploy/release/qemu-setup.sh (apt-get install g++-aarch64-linux-gnu)`);
  }
}

/**
 * better_sqlite3.node for linux-arm64 built from pkgDir (the installed better-sqlite3: binding.gyp,
 * src/, deps/), cached by source digest and Node ABI: a rebuild only when either changes.
 */
export function crossCompileBetterSqlite3({ pkgDir, nodedir, cacheDir, log }) {
  const { version } = JSON.parse(readFileSync(path.join(pkgDir, 'package.json'), 'utf8'));
  const { abi } = nodeAbi(nodedir);
  const digest = sourceDigest(pkgDir);
  const cached = path.join(cacheDir, `better-sqlite3-${version}-${digest}-node-abi${abi}-linux-arm64`, 'better_sqlite3.node');
  if (existsSync(cached) && isArm64Elf(cached)) {
    log(`better-sqlite3 ${version}: cached arm64 addon (ABI ${abi})`);
    return cached;
  }
  requireToolchain();
  log(`better-sqlite3 ${version}: cross-compiling for linux-arm64 (ABI ${abi}); a few minutes the first time`);
  mkdirSync(cacheDir, { recursive: true });
  const work = mkdtempSync(path.join(cacheDir, '.build-'));
  try {
    for (const part of ['package.json', 'binding.gyp', 'src', 'deps']) cpSync(path.join(pkgDir, part), path.join(work, part), { recursive: true });
    const env = {
      ...process.env,
      CC: `${TRIPLE}-gcc`,
      CXX: `${TRIPLE}-g++`,
      LINK: `${TRIPLE}-g++`,
      AR: `${TRIPLE}-ar`,
      // gyp builds nothing for the host here, but would take these for host tools.
      CC_host: 'gcc',
      CXX_host: 'g++',
      JOBS: 'max',
    };
    try {
      // SQLite's compiler warnings are not ours to fix: the output is shown only when the build fails.
      execFileSync(process.execPath, [nodeGyp(), 'rebuild', '--release', '--arch=arm64', `--nodedir=${nodedir}`], {
        cwd: work,
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
        maxBuffer: 64 * 1024 * 1024,
      });
    } catch (err) {
      process.stderr.write(`${String(err.stdout ?? '')}${String(err.stderr ?? '')}`.slice(-20_000));
      throw new Error(`node-gyp rebuild (better-sqlite3 ${version}, linux-arm64) failed`, { cause: err });
    }
    const built = path.join(work, 'build', 'Release', 'better_sqlite3.node');
    if (!isArm64Elf(built)) throw new Error(`${built} is not an arm64 ELF (machine ${elfMachine(built)})`);
    execFileSync(`${TRIPLE}-strip`, ['--strip-unneeded', built]);
    mkdirSync(path.dirname(cached), { recursive: true });
    renameSync(built, cached);
    return cached;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** sha256 (first 16 hex) over binding.gyp, src/ and deps/: the cache key of a build. */
function sourceDigest(pkgDir) {
  const hash = createHash('sha256');
  const add = (rel) => {
    const file = path.join(pkgDir, rel);
    if (statSync(file).isDirectory()) for (const name of readdirSync(file).sort()) add(path.join(rel, name));
    else hash.update(`${rel}\0`).update(readFileSync(file));
  };
  for (const part of ['binding.gyp', 'src', 'deps']) add(part);
  return hash.digest('hex').slice(0, 16);
}

/**
 * better-sqlite3 in the release: the addon where `bindings` looks first (build/Release), and
 * nothing of its sources (~10 MB of C) or build tree.
 */
export function installBetterSqlite3(pkgDir, addon) {
  for (const part of ['src', 'deps', 'binding.gyp', 'build']) rmSync(path.join(pkgDir, part), { recursive: true, force: true });
  mkdirSync(path.join(pkgDir, 'build', 'Release'), { recursive: true });
  cpSync(addon, path.join(pkgDir, 'build', 'Release', 'better_sqlite3.node'));
}

/**
 * @serialport/bindings-cpp: only the linux-arm64 glibc prebuild (node-gyp-build picks it at run
 * time; better-sqlite3 above is built for glibc too) and no sources.
 */
export function pruneSerialport(pkgDir) {
  const prebuilds = path.join(pkgDir, 'prebuilds');
  for (const name of readdirSync(prebuilds)) if (name !== 'linux-arm64') rmSync(path.join(prebuilds, name), { recursive: true, force: true });
  for (const name of readdirSync(path.join(prebuilds, 'linux-arm64'))) if (!name.endsWith('.glibc.node')) rmSync(path.join(prebuilds, 'linux-arm64', name));
  for (const part of ['src', 'binding.gyp']) rmSync(path.join(pkgDir, part), { recursive: true, force: true });
}
