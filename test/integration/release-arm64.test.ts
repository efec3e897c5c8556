/**
 * Issue 8: the release a Raspberry Pi installs without compilers. Built by `npm run release`,
 * unpacked as a gateway would, and run on an emulated linux-arm64 machine (qemu-user) against
 * Modbus simulators on this side: TCP, and RTU over a pseudo-terminal through serialport's arm64
 * addon into the better-sqlite3 buffer (the cross-compiled addon). Needs
 * deploy/release/qemu-setup.sh to have run.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QUALITY_CODE } from '../../agent/buffer/codec.ts';
import { systemClock } from '../../protocols/clock.ts';
import { ModbusSimulator } from '../../simulators/modbus/simulator.ts';
import { openPtyPair, type PtyPair } from '../../simulators/pty.ts';
import { execForm, instructions, origin, parseDockerfile, placedFiles } from '../helpers/dockerfile.ts';
import { testLogger } from '../helpers/logger.ts';
import { Arm64Process, type Arm64Runtime, arm64Runtime, ensureRelease, isArm64Elf, releaseDir } from '../helpers/release.ts';
import { waitFor } from '../helpers/wait.ts';

/** Building includes cross-compiling SQLite the first time on a machine (then cached). */
const BUILD_TIMEOUT_MS = 20 * 60_000;
/** Emulated Node is some ten times slower than native, more on a loaded machine. */
const EMULATED_MS = 180_000;

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const file = path.join(dir, name);
    return statSync(file).isDirectory() ? files(file) : [file];
  });
}

/** Good readings per device name in a buffer file, read as another process sees it (committed only). */
function goodReadings(file: string): Map<string, number> {
  const out = new Map<string, number>();
  if (!existsSync(file)) return out;
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const rows = db
      .prepare('SELECT n.name AS device, count(*) AS good FROM records r JOIN names n ON n.id = r.device WHERE r.quality = ? GROUP BY n.name')
      .all(QUALITY_CODE.good) as Array<{ device: string; good: number }>;
    for (const { device, good } of rows) out.set(device, good);
  } catch (err) {
    if ((err as { code?: string }).code !== 'SQLITE_ERROR') throw err; // tables not created yet
  } finally {
    db.close();
  }
  return out;
}

describe('linux-arm64 release', () => {
  let runtime: Arm64Runtime;
  let tarball: string;
  let dir: string | undefined;
  let app: string;

  beforeAll(async () => {
    runtime = arm64Runtime();
    tarball = await ensureRelease();
    dir = mkdtempSync(path.join(tmpdir(), 'atalaya-release-'));
    execFileSync('tar', ['-xzf', tarball, '-C', dir]);
    app = path.join(dir, 'atalaya');
  }, BUILD_TIMEOUT_MS);

  afterAll(() => {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it('is a checksummed tarball of the compiled app and its production dependencies, every native addon arm64', () => {
    const sums = readFileSync(path.join(releaseDir(), 'SHA256SUMS'), 'utf8');
    const digest = createHash('sha256').update(readFileSync(tarball)).digest('hex');
    expect(sums.split('\n')).toContain(`${digest}  ${path.basename(tarball)}`);

    expect(JSON.parse(readFileSync(path.join(app, 'RELEASE.json'), 'utf8'))).toMatchObject({
      os: 'linux',
      cpu: 'arm64',
      libc: 'glibc',
      node: { major: 20, abi: 115 },
    });
    // The launcher runs dist/ because no TypeScript sources are shipped.
    expect(existsSync(path.join(app, 'bin', 'atalaya.mjs'))).toBe(true);
    expect(existsSync(path.join(app, 'dist', 'cli', 'main.js'))).toBe(true);
    expect(existsSync(path.join(app, 'cli'))).toBe(false);
    const shipped = JSON.parse(readFileSync(path.join(app, 'package.json'), 'utf8')) as Record<string, unknown>;
    expect(shipped['devDependencies']).toBeUndefined();
    expect(shipped['scripts']).toBeUndefined();
    for (const dev of ['typescript', 'vitest', 'solc']) expect(existsSync(path.join(app, 'node_modules', dev)), dev).toBe(false);

    const addons = files(path.join(app, 'node_modules')).filter((f) => f.endsWith('.node'));
    expect(addons.map((f) => path.relative(app, f))).toEqual(
      expect.arrayContaining([
        'node_modules/better-sqlite3/build/Release/better_sqlite3.node',
        expect.stringMatching(/^node_modules\/@serialport\/bindings-cpp\/prebuilds\/linux-arm64\/.*glibc\.node$/),
      ]),
    );
    expect(addons.filter((f) => !isArm64Elf(f)).map((f) => path.relative(app, f))).toEqual([]);
    // No C sources or build tree: nothing on the gateway compiles.
    for (const gone of ['src', 'deps', 'binding.gyp']) expect(existsSync(path.join(app, 'node_modules', 'better-sqlite3', gone)), gone).toBe(false);
  });

  it('carries every file the code reads at run time beside the compiled JavaScript (DGA WSDL, browser pages)', () => {
    const root = path.resolve(import.meta.dirname, '../..');
    const assets = ['agent', 'cloud', 'protocols']
      .flatMap((d) => files(path.join(root, d)))
      .map((f) => path.relative(root, f))
      .filter((f) => /\.(wsdl|xsd)$/.test(f) || f.split(path.sep).includes('ui'));
    expect(assets.length).toBeGreaterThan(0);
    expect(assets.filter((f) => !existsSync(path.join(app, 'dist', f)))).toEqual([]);
  });

  it('has every file the relay image runs where deploy/cloud/Dockerfile copies it from (same layout as its build stage)', () => {
    const root = path.resolve(import.meta.dirname, '../..');
    const runtime = parseDockerfile(readFileSync(path.join(root, 'deploy/cloud/Dockerfile'), 'utf8')).at(-1)!;
    const placed = placedFiles(runtime);
    const commands = ['ENTRYPOINT', 'HEALTHCHECK'].flatMap((k) => instructions(runtime, k).flatMap((i) => execForm(i.args)));
    // The launcher in the image imports the compiled CLI beside it.
    const used = [...commands.filter((a) => a.startsWith('/opt/atalaya/')), '/opt/atalaya/dist/cli/main.js', '/opt/atalaya/package.json'];
    expect(used.length).toBeGreaterThan(2);
    const missing = used.filter((file) => {
      const from = origin(placed, file);
      if (from === undefined) return true;
      return from.from === 'build' ? !existsSync(path.join(app, path.posix.relative('/src', from.source))) : !existsSync(path.join(root, from.source));
    });
    expect(missing).toEqual([]);
  });

  describe('on an emulated arm64 machine', () => {
    let sim: ModbusSimulator | undefined;
    let pty: PtyPair | undefined;
    let agent: Arm64Process | undefined;

    afterAll(async () => {
      await agent?.stop(5_000);
      await sim?.stop();
      await pty?.close();
    });

    it(
      'polls Modbus TCP and RTU into its SQLite buffer and stops cleanly on SIGTERM',
      async () => {
        const work = mkdtempSync(path.join(dir!, 'gw-'));
        pty = await openPtyPair(work);
        sim = new ModbusSimulator({
          devices: [
            { unitId: 1, kind: 'gas-detector', scenario: 'steady' },
            { unitId: 2, kind: 'flowmeter', scenario: 'steady' },
          ],
          tcp: { host: '127.0.0.1', port: 0 },
          serial: { path: pty.b, baudRate: 19200, parity: 'none', dataBits: 8, stopBits: 1 },
          clock: systemClock,
          logger: testLogger(),
        });
        await sim.start();
        const config = path.join(work, 'agent.yaml');
        writeFileSync(
          config,
          `gateway: {id: gw-arm64}
buffer: {path: buffer.db, commitIntervalMs: 50}
log: {level: info}
mqtt: {listeners: [{type: tcp, host: 127.0.0.1, port: 0}]}
status: {host: 127.0.0.1, port: 0}
serial:
  - {id: rs485, path: ${pty.a}, baudRate: 19200, timeoutMs: 1000}
devices:
  - {id: gas-rtu, profile: gas-detector, serial: rs485, unitId: 1, intervalMs: 250}
  - {id: flow-tcp, profile: flowmeter, tcp: {host: 127.0.0.1, port: ${sim.tcpPort}, timeoutMs: 1000}, unitId: 2, intervalMs: 250, params: {sensorDepthM: 60}}
`,
        );

        agent = new Arm64Process(runtime, [path.join(app, 'bin', 'atalaya.mjs'), 'agent', '-c', config], work);
        const failed =
          (what: string) =>
          (err: unknown): never => {
            throw new Error(`${what}: ${(err as Error).message}\nagent output:\n${agent!.tail()}`);
          };
        await waitFor(() => agent!.logged('agent started') ?? (!agent!.running && 'exited'), 'agent started', EMULATED_MS, 200).catch(failed('start'));
        expect(agent.running, agent.tail()).toBe(true);
        // The status page: its files (dist/agent/status/ui, its catalogues in locales/), uPlot and
        // i18next (node_modules) found in the release.
        const { port } = agent.logged('status page listening') as { port: number };
        for (const [url, type] of [
          ['/', 'text/html'],
          ['/assets/app.js', 'text/javascript'],
          ['/assets/uplot.iife.min.js', 'text/javascript'],
          ['/assets/i18next.js', 'text/javascript'],
          ['/assets/locales/es-CL.json', 'application/json'],
        ] as const) {
          const res = await request(`http://127.0.0.1:${port}${url}`);
          await res.body.text();
          expect(res.statusCode, url).toBe(200);
          expect(res.headers['content-type'], url).toContain(type);
        }
        const buffer = path.join(work, 'buffer.db');
        const good = await waitFor(
          () => {
            const counts = goodReadings(buffer);
            return (counts.get('gas-rtu') ?? 0) >= 3 && (counts.get('flow-tcp') ?? 0) >= 3 && counts;
          },
          'good readings from both devices in the buffer',
          EMULATED_MS / 2,
          200,
        ).catch(failed('readings'));
        expect([...good.keys()].sort()).toEqual(['flow-tcp', 'gas-rtu']);

        const exit = await agent.stop(EMULATED_MS / 3);
        expect(exit, agent.tail()).toEqual({ code: 0, signal: null });
        expect(agent.logged('buffer stopped'), agent.tail()).toBeDefined();
      },
      EMULATED_MS * 2,
    );
  });
});
