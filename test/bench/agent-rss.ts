/**
 * Footprint of a real agent process polling 200 channels at 1 Hz (20 simulated gas detectors of
 * 10 points each over Modbus TCP): peak RSS, then V8 heap and external memory (the agent's own
 * /metrics), CPU, and bytes written to storage per record (/proc/<pid>/io write_bytes: the
 * SD-card wear of polling). Twice, back to back on one simulator: bare `node`, then with the
 * environment of the systemd unit (deploy/pi/atalaya-agent.service: its NODE_OPTIONS V8 flags and
 * any allocator setting, read from the unit file itself, unit-env.ts). Prints, asserts nothing.
 * Run: node bin/run-ts.mjs test/bench/agent-rss.ts [seconds] [arm64]; ATALAYA_BENCH_NODE_OPTIONS='--flag …'
 * adds V8 flags to both runs (to try one before it goes into the unit file). `arm64`: the
 * linux-arm64 release tarball (the Pi's build: arm64 Node and addons), unpacked and run under
 * qemu-aarch64 — its RSS is the qemu process's, the guest's memory plus the emulator's translated
 * code, so an upper bound of what a Pi shows.
 */
import { execFileSync, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { arm64Runtime, ensureRelease, SYSROOT } from '../helpers/release.ts';
import { fmt, machineLine, out, procUsage, type SimProcess, startSim } from './common.ts';
import { unitEnvironment } from './unit-env.ts';

/** Emulated start-up (loading the compiled JS through qemu) takes tens of seconds. */
const ARM64_START_MS = 180_000;

interface Footprint {
  readonly peakRss: number;
}

export async function main(seconds = 30, devices = 20, arm64 = false): Promise<void> {
  out(machineLine());
  const units = Array.from({ length: devices }, (_, i) => i + 1);
  const sim = await startSim(['--tcp', '0', ...units.flatMap((u) => ['--device', `${u}=gas-detector:gas-leak`])]);
  const unit = unitEnvironment();
  try {
    // Bare: not even a NODE_OPTIONS this shell may carry.
    const bareEnv = { ...process.env };
    delete bareEnv['NODE_OPTIONS'];
    const bare = await measure({ sim, units, seconds, arm64, label: 'bare node', env: bareEnv });
    const withUnit = await measure({
      sim,
      units,
      seconds,
      arm64,
      label: `the unit file's environment (${Object.entries(unit)
        .map(([k, v]) => `${k}=${v}`)
        .join(' ')})`,
      env: { ...bareEnv, ...unit },
    });
    out(`  peak RSS: ${fmt(bare.peakRss / 2 ** 20, 1)} MiB bare, ${fmt(withUnit.peakRss / 2 ** 20, 1)} MiB with the unit file's environment`);
  } finally {
    await sim.stop();
  }
}

async function measure(o: {
  sim: SimProcess;
  units: readonly number[];
  seconds: number;
  arm64: boolean;
  label: string;
  env: NodeJS.ProcessEnv;
}): Promise<Footprint> {
  const { sim, units, seconds, arm64 } = o;
  const devices = units.length;
  const dir = mkdtempSync(path.join(tmpdir(), 'atalaya-rss-'));
  const statusPort = await freePort();
  const token = randomBytes(16).toString('hex');
  const config = path.join(dir, 'agent.yaml');
  writeFileSync(
    config,
    [
      'gateway: {id: bench}',
      'buffer: {path: buffer.db}',
      'log: {level: warn}',
      'mqtt: {listeners: [{type: tcp, host: 127.0.0.1, port: 0}]}',
      `status: {host: 127.0.0.1, port: ${statusPort}}`,
      'devices:',
      ...units.map((u) => `  - {id: gas-${u}, profile: gas-detector, tcp: {host: 127.0.0.1, port: ${sim.tcpPort}}, unitId: ${u}, intervalMs: 1000}`),
    ].join('\n'),
  );
  const nodeOptions = (process.env['ATALAYA_BENCH_NODE_OPTIONS'] ?? '').split(' ').filter((f) => f !== '');
  const env = { ...o.env, ATALAYA_STATUS_TOKENS: createHash('sha256').update(token).digest('hex') };
  const [command, args] = arm64 ? await arm64Command(dir, nodeOptions) : [process.execPath, [...nodeOptions, path.resolve('dist/cli/main.js')]];
  const agent = spawn(command, [...args, 'agent', '-c', config], { stdio: ['ignore', 'ignore', 'inherit'], env });
  const exited = new Promise((r) => agent.once('exit', r));
  try {
    if (arm64) await statusAnswers(statusPort, token, ARM64_START_MS);
    await new Promise((r) => setTimeout(r, 3000)); // start-up and first polls, not measured
    const start = procUsage(agent.pid!);
    const written0 = writeBytesOf(agent.pid!);
    const db0 = recordCount(dir);
    let peak = start.rssBytes;
    for (let s = 0; s < seconds; s++) {
      await new Promise((r) => setTimeout(r, 1000));
      peak = Math.max(peak, procUsage(agent.pid!).rssBytes);
    }
    const end = procUsage(agent.pid!);
    const written = writeBytesOf(agent.pid!) - written0;
    const memory = await scrapeMemory(statusPort, token);
    const count = recordCount(dir);
    const mib = (n: number | undefined): string => (n === undefined ? '?' : fmt(n / 2 ** 20, 1));
    out(
      `agent footprint${arm64 ? ' (linux-arm64 release under qemu-aarch64: RSS of the emulator process)' : ''}: ${devices} gas detectors × 10 points at 1 Hz over Modbus TCP (${devices * 10} channels), ${seconds} s measured, ${o.label}${nodeOptions.length > 0 ? `, node ${nodeOptions.join(' ')}` : ''}`,
    );
    out(
      `  peak RSS ${fmt(peak / 2 ** 20, 1)} MiB; at the end: V8 heap used ${mib(memory['nodejs_heap_size_used_bytes'])} of ${mib(memory['nodejs_heap_size_total_bytes'])} MiB, external ${mib(memory['nodejs_external_memory_bytes'])} MiB`,
    );
    out(
      `  CPU ${fmt(((end.cpuSeconds - start.cpuSeconds) / seconds) * 100, 1)} % of one core, ${fmt(count)} records stored, written ${fmt(written / Math.max(1, count - db0))} B/record`,
    );
    return { peakRss: peak };
  } finally {
    agent.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  }
}

/** qemu-aarch64 running the arm64 Node on the release tarball, unpacked into dir. */
async function arm64Command(dir: string, nodeOptions: readonly string[]): Promise<[string, string[]]> {
  const runtime = arm64Runtime();
  const tarball = await ensureRelease();
  execFileSync('tar', ['-xzf', tarball, '-C', dir]);
  return [runtime.qemu, ['-L', SYSROOT, runtime.node, ...nodeOptions, path.join(dir, 'atalaya', 'bin', 'atalaya.mjs')]];
}

/** Waits until the status page answers /metrics (the agent is up). */
async function statusAnswers(port: number, token: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/metrics`, { headers: { authorization: `Bearer ${token}` } });
      await res.arrayBuffer();
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`the agent's status page did not answer within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

function recordCount(dir: string): number {
  const file = path.join(dir, 'buffer.db');
  if (!existsSync(file)) return 0; // a slow start-up: nothing stored yet
  const db = new Database(file, { readonly: true });
  try {
    return (db.prepare('SELECT count(*) AS n FROM records').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

/** Bytes the process caused to be written to storage (/proc/<pid>/io write_bytes). */
function writeBytesOf(pid: number): number {
  return Number(/write_bytes:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/io`, 'utf8'))?.[1] ?? 0);
}

/** The process_* and nodejs_* gauges of the agent's /metrics (prom-client default metrics). */
async function scrapeMemory(port: number, token: string): Promise<Record<string, number>> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`, { headers: { authorization: `Bearer ${token}` } });
  const figures: Record<string, number> = {};
  for (const line of (await res.text()).split('\n')) {
    const m = /^(nodejs_heap_size_\w+|nodejs_external_memory_bytes) ([\d.e+]+)$/.exec(line);
    if (m !== null) figures[m[1]!] = Number(m[2]);
  }
  return figures;
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  await main(Number(process.argv[2] ?? 30), 20, process.argv[3] === 'arm64');
}
