/**
 * For the over-the-air update test under qemu (test/integration/update-arm64.test.ts): new
 * builds made from the real release by re-packing it (no second cross-compile), a service manager
 * stand-in that runs like deploy/pi/atalaya-agent.service (boot-check.sh before each start, the
 * agent from <root>/current, restarted on any exit), and a TCP proxy that cuts or stalls the
 * first tarball download once.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readlinkSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { Arm64Process, type Arm64Runtime } from './release.ts';

const run = promisify(execFile);
const BOOT_CHECK = path.resolve(import.meta.dirname, '../../deploy/pi/boot-check.sh');

/**
 * The release re-packed once per entry of `versions` (package.json and RELEASE.json say the
 * version, its patch applied to the unpacked tree, cumulatively), unpacked once; asynchronous, so
 * that it runs while the emulated agent starts.
 */
export async function repackRelease(
  tarball: string,
  dir: string,
  versions: ReadonlyArray<{ version: string; patch?: (app: string) => void }>,
): Promise<string[]> {
  const stage = mkdtempSync(path.join(dir, 'repack-'));
  try {
    await run('tar', ['-xzf', tarball, '-C', stage]);
    const app = path.join(stage, 'atalaya');
    const out: string[] = [];
    for (const { version, patch } of versions) {
      for (const file of ['package.json', 'RELEASE.json']) {
        const json = JSON.parse(readFileSync(path.join(app, file), 'utf8')) as Record<string, unknown>;
        json['version'] = version;
        writeFileSync(path.join(app, file), `${JSON.stringify(json, null, 2)}\n`);
      }
      patch?.(app);
      const file = path.join(dir, `atalaya-${version}-linux-arm64.tar.gz`);
      // gzip -1: the test measures the update, not the compression.
      await run('sh', ['-c', `tar -cf - -C "${stage}" atalaya | gzip -1 > "${file}"`]);
      out.push(file);
    }
    return out;
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

/** Unpacks the release as install.sh does: <root>/<version>, current → it, the boot check beside. */
export function installRelease(tarball: string, root: string, version: string): void {
  const stage = mkdtempSync(path.join(root, '.install.'));
  execFileSync('tar', ['-xzf', tarball, '-C', stage]);
  renameSync(path.join(stage, 'atalaya'), path.join(root, version));
  rmSync(stage, { recursive: true, force: true });
  execFileSync('ln', ['-sfn', version, path.join(root, 'current')]);
  execFileSync('install', ['-m', '0755', BOOT_CHECK, path.join(root, 'boot-check.sh')]);
}

export interface Run {
  readonly version: string;
  readonly startedAt: number;
  exitedAt?: number;
  code?: number | null;
  signal?: NodeJS.Signals | null;
}

/** systemd for one service: ExecStartPre=boot-check.sh, ExecStart=<root>/current/…, Restart=always (no RestartSec: tests wait enough). */
export class ServiceStandIn {
  readonly runs: Run[] = [];
  process: Arm64Process | undefined;
  private stopping = false;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly runtime: Arm64Runtime,
    private readonly root: string,
    private readonly args: readonly string[],
    private readonly cwd: string,
  ) {}

  start(): void {
    this.loop ??= this.run();
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      execFileSync('sh', [path.join(this.root, 'boot-check.sh'), this.root]);
      const version = readlinkSync(path.join(this.root, 'current'));
      const run: Run = { version, startedAt: Date.now() };
      this.runs.push(run);
      const p = new Arm64Process(this.runtime, [path.join(this.root, 'current', 'bin', 'atalaya.mjs'), ...this.args], this.cwd);
      this.process = p;
      const exit = await p.exited;
      Object.assign(run, { exitedAt: Date.now(), code: exit.code, signal: exit.signal });
    }
  }

  /** SIGTERM (systemctl stop) and no more restarts. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.process?.stop(60_000);
    await this.loop;
  }

  /** The running process is killed (SIGKILL); the loop restarts it like systemd would. */
  kill(): void {
    this.process?.child.kill('SIGKILL');
  }

  tail(): string {
    return `${this.runs.map((r) => `${r.version} ${r.code ?? r.signal ?? 'running'}`).join(', ')}\n${this.process?.tail() ?? ''}`;
  }
}

/**
 * A TCP proxy to `target`; each fault queued applies to one `GET /v1/releases/` request, in
 * order: after `afterBytes` of its answer the connection is cut (a dropped link) or stalled (held
 * open, nothing forwarded, until release()).
 */
export class DownloadFaultProxy {
  readonly faults: Array<{ kind: 'cut' | 'stall'; afterBytes: number }> = [];
  /** Faults that took effect, in order. */
  readonly applied: Array<'cut' | 'stall'> = [];
  /** Where each `GET /v1/releases/` asked to start (its Range, 0 without one), in order. */
  readonly rangeStarts: number[] = [];
  /** Bytes forwarded on the wire (TCP payload, HTTP headers included): to the target, and back. */
  readonly bytes = { up: 0, down: 0 };
  private readonly server: net.Server;
  private readonly stalled: Array<() => void> = [];
  private readonly sockets = new Set<net.Socket>();

  constructor(private readonly target: number) {
    this.server = net.createServer((client) => this.accept(client));
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return (this.server.address() as net.AddressInfo).port;
  }

  /** Lets stalled connections go (they are closed: the stalled transfer is lost, as on a link that died). */
  release(): void {
    for (const f of this.stalled.splice(0)) f();
  }

  async close(): Promise<void> {
    this.release();
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: net.Socket): void {
    const upstream = net.connect(this.target, '127.0.0.1');
    for (const s of [client, upstream]) {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
      s.on('error', () => undefined);
    }
    let armed: { kind: 'cut' | 'stall'; afterBytes: number } | undefined;
    let sent = 0;
    let held = false;
    client.on('data', (d: Buffer) => {
      const head = d.subarray(0, 2048).toString('latin1');
      if (head.startsWith('GET /v1/releases/')) this.rangeStarts.push(Number(/\r\nrange: *bytes=(\d+)-/i.exec(head)?.[1] ?? 0));
      if (armed === undefined && this.faults.length > 0 && d.subarray(0, 32).toString('latin1').startsWith('GET /v1/releases/')) {
        armed = this.faults.shift();
        sent = 0;
      }
      this.bytes.up += d.length;
      upstream.write(d);
    });
    upstream.on('data', (d: Buffer) => {
      if (held) return;
      if (armed === undefined || sent + d.length <= armed.afterBytes) {
        sent += d.length;
        this.bytes.down += d.length;
        client.write(d);
        return;
      }
      this.bytes.down += armed.afterBytes - sent;
      client.write(d.subarray(0, armed.afterBytes - sent));
      sent = armed.afterBytes;
      this.applied.push(armed.kind);
      if (armed.kind === 'cut') {
        client.destroy();
        upstream.destroy();
      } else {
        held = true;
        this.stalled.push(() => {
          client.destroy();
          upstream.destroy();
        });
      }
    });
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  }
}
