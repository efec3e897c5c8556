/**
 * Issue 16 §4, the proof: over-the-air updates of the real linux-arm64 release on an emulated
 * arm64 machine (qemu-user), from a relay on this side, with a Modbus simulator polled throughout.
 * One install and one agent (run as systemd would: deploy/pi/boot-check.sh before each start,
 * restarted on any exit) go through, in order:
 *   1. a release whose signature is bad (a compromised relay hosting it): refused before download;
 *   2. the upgrade to a new build (the release re-packed as 0.1.1, signed), whose download is first
 *      cut at about half (refused: nothing installed), then stalled and the agent SIGKILLed in the
 *      middle, then resumed from the part file: switched, restarted, confirmed;
 *   3. a release that crashes at start (its entry exits 1): switched back after maxStarts;
 * and nothing read in the meantime is lost: the relay holds every seq the buffer gave, and the
 * readings stop only while the agent restarts. Needs deploy/release/qemu-setup.sh to have run.
 */
import { mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UPDATE_CRASHED, UPDATE_DOWNLOAD_FAILED } from '../../agent/update/errors.ts';
import { RESTART_EXIT_CODE } from '../../agent/update/restart.ts';
import { parseRelayConfig } from '../../cloud/config/load.ts';
import { GatewaySecrets } from '../../cloud/ingest/gateway-secrets.ts';
import { Relay } from '../../cloud/main.ts';
import type { ReleaseService } from '../../cloud/releases/service.ts';
import { newRelayKey, parseRelayKey } from '../../cloud/secrets.ts';
import { createRelayDatabase } from '../../cloud/store/index.ts';
import { SqlReleasesStore } from '../../cloud/store/releases-store.ts';
import { systemClock } from '../../protocols/clock.ts';
import { RELEASE_SIGNATURE_INVALID } from '../../protocols/release/index.ts';
import { ModbusSimulator } from '../../simulators/modbus/simulator.ts';
import { testLogger } from '../helpers/logger.ts';
import { type Arm64Runtime, arm64Runtime, ensureRelease } from '../helpers/release.ts';
import { DownloadFaultProxy, installRelease, repackRelease, ServiceStandIn } from '../helpers/update-arm64.ts';
import { generateReleaseKeyPair, signRelease } from '../helpers/update-release.ts';
import { waitFor } from '../helpers/wait.ts';

const BUILD_TIMEOUT_MS = 20 * 60_000;
/** Emulated Node is some ten times slower than native, more on a loaded machine. */
const EMULATED_MS = 240_000;
const GATEWAY = 'gw-ota';

describe('over-the-air update of the arm64 release under qemu', () => {
  const keys = generateReleaseKeyPair();
  const stranger = generateReleaseKeyPair();
  let runtime: Arm64Runtime;
  let dir: string;
  let root: string;
  let work: string;
  let relay: Relay;
  let releases: ReleaseService;
  let sim: ModbusSimulator;
  let proxy: DownloadFaultProxy;
  let service: ServiceStandIn | undefined;
  let good: ReturnType<typeof signRelease>;

  const report = async () => (await releases.overview()).gateways.find((g) => g.gateway === GATEWAY);
  const failed = (what: string) => (err: unknown) => {
    throw new Error(`${what}: ${(err as Error).message}\n${service?.tail() ?? ''}`);
  };
  const rollout = (version: string) => releases.rollout(version, { kind: 'gateway', id: GATEWAY }, 100, 'test');
  /** Every update report the relay held, `state target reason`, sampled often enough to see each poll's. */
  const seen: string[] = [];
  let sampler: NodeJS.Timeout | undefined;

  beforeAll(async () => {
    runtime = arm64Runtime();
    const tarball = await ensureRelease();
    dir = mkdtempSync(path.join(tmpdir(), 'atalaya-update-arm64-'));
    root = path.join(dir, 'opt');
    work = path.join(dir, 'var');
    mkdirSync(root);
    mkdirSync(work);
    installRelease(tarball, root, '0.1.0');
    const relayKey = newRelayKey();
    const config = parseRelayConfig({
      listen: { host: '127.0.0.1', port: 0 },
      storage: { kind: 'sqlite', path: path.join(dir, 'relay.db') },
      fleet: {},
      releases: { enabled: true, publicKeys: [keys.publicKeyPem], dir: path.join(dir, 'releases') },
    });
    relay = new Relay(config, { logger: testLogger(), env: { ATALAYA_RELAY_KEY: relayKey }, anchorSchedule: false });
    await relay.start();
    releases = relay.releases!;
    const secret = await new GatewaySecrets({ store: relay.store, key: parseRelayKey(relayKey, 'test'), logger: testLogger() }).provision(GATEWAY, Date.now());
    proxy = new DownloadFaultProxy(relay.address.port);
    const proxyPort = await proxy.listen();
    sim = new ModbusSimulator({
      devices: [{ unitId: 2, kind: 'flowmeter', scenario: 'steady' }],
      tcp: { host: '127.0.0.1', port: 0 },
      clock: systemClock,
      logger: testLogger(),
    });
    await sim.start();
    writeFileSync(path.join(work, 'secret'), `${secret}\n`, { mode: 0o600 });
    writeFileSync(path.join(work, 'release.pub'), keys.publicKeyPem);
    writeFileSync(
      path.join(work, 'agent.yaml'),
      `gateway: {id: ${GATEWAY}}
buffer: {path: buffer.db, commitIntervalMs: 50}
log: {level: info}
mqtt: {enabled: false}
status: {enabled: false}
sync: {url: 'http://127.0.0.1:${proxyPort}', secretFile: secret, idleMs: 200}
fleet: {intervalMs: 2000}
update: {enabled: true, publicKey: release.pub, root: ${root}, dir: update, confirmDeadlineS: 180, maxStarts: 2}
devices:
  - {id: flow-tcp, profile: flowmeter, tcp: {host: 127.0.0.1, port: ${sim.tcpPort}, timeoutMs: 1000}, unitId: 2, intervalMs: 500, params: {sensorDepthM: 60}}
`,
    );
    service = new ServiceStandIn(runtime, root, ['agent', '-c', path.join(work, 'agent.yaml')], work);
    service.start();
    // While the emulated agent starts: the new builds, hosted as a release signer and an operator would.
    const [v011, v012] = await repackRelease(tarball, dir, [
      { version: '0.1.1' },
      { version: '0.1.2', patch: (app) => writeFileSync(path.join(app, 'bin', 'atalaya.mjs'), '#!/usr/bin/env node\nprocess.exit(1);\n') },
    ]);
    good = signRelease(v011!, '0.1.1', keys);
    const crashing = signRelease(v012!, '0.1.2', keys);
    await releases.add(good.tarball, good.manifest, good.signature, 'test');
    await releases.add(crashing.tarball, crashing.manifest, crashing.signature, 'test');
    // A compromised relay: a release signed by a key the gateway does not trust, put straight into its database.
    const forged = signRelease(good.tarball, '0.1.3', stranger);
    const side = createRelayDatabase({ kind: 'sqlite', path: path.join(dir, 'relay.db') }, testLogger());
    await side.start();
    await new SqlReleasesStore(side.executor).addRelease({
      version: '0.1.3',
      file: path.basename(good.tarball),
      size: forged.size,
      sha256: forged.sha256,
      manifest: forged.manifest.toString('utf8'),
      signature: forged.signature,
      addedBy: 'intruder',
      addedAt: Date.now(),
    });
    await side.stop();

    sampler = setInterval(() => {
      void report().then(
        (r) => {
          const line = r === undefined ? '' : `${r.state} ${r.target ?? '-'} ${r.reason ?? '-'}`;
          if (line !== '' && seen.at(-1) !== line) seen.push(line);
        },
        () => undefined,
      );
    }, 100);
    await waitFor(async () => (await report())?.current === '0.1.0', 'the agent on 0.1.0 reporting to the relay', EMULATED_MS, 500).catch(failed('start'));
  }, BUILD_TIMEOUT_MS);

  afterAll(async () => {
    clearInterval(sampler);
    await service?.stop();
    await proxy?.close();
    await sim?.stop();
    await relay?.stop();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it(
    'refuses a release whose signature it does not trust, before downloading it',
    async () => {
      await rollout('0.1.3');
      const r = await waitFor(async () => ((await report())?.state === 'failed' ? report() : undefined), 'the refusal reported', EMULATED_MS / 4, 500).catch(
        failed('bad signature'),
      );
      expect(r).toMatchObject({ current: '0.1.0', target: '0.1.3', reason: RELEASE_SIGNATURE_INVALID });
      expect(readlinkSync(path.join(root, 'current'))).toBe('0.1.0');
      expect(service!.runs).toHaveLength(1);
    },
    EMULATED_MS,
  );

  it(
    'upgrades to a new build through a cut and a SIGKILL mid-download, resuming, and confirms its health on the new version',
    async () => {
      const part = path.join(work, 'update', `0.1.1-${good.sha256.slice(0, 16)}.part`);
      // The first download is cut about half way; the retry stalls a quarter further in.
      proxy.faults.push({ kind: 'cut', afterBytes: Math.floor(good.size / 2) }, { kind: 'stall', afterBytes: Math.floor(good.size / 4) });
      await rollout('0.1.1');
      await waitFor(() => seen.includes(`failed 0.1.1 ${UPDATE_DOWNLOAD_FAILED}`), 'the cut download reported', EMULATED_MS / 4, 100).catch(failed('cut'));
      expect(readlinkSync(path.join(root, 'current'))).toBe('0.1.0');
      await waitFor(() => proxy.applied.length === 2, 'the retry stalled', EMULATED_MS / 4, 100).catch(failed('stall'));
      // Written as it arrives: the part file holds what came before the stall.
      const stalledAt = await waitFor(
        async () => {
          const before = statSync(part).size;
          await new Promise((r) => setTimeout(r, 500));
          return statSync(part).size === before && before;
        },
        'the part file at rest',
        EMULATED_MS / 8,
        0,
      );
      // The retry after the cut resumed where the part file ended, and kept appending.
      expect(proxy.rangeStarts.slice(0, 2)).toEqual([0, expect.any(Number)]);
      expect(proxy.rangeStarts[1]).toBeGreaterThan(0);
      expect(stalledAt).toBeGreaterThan(proxy.rangeStarts[1]!);
      expect(stalledAt).toBeLessThan(good.size);
      const runsBefore = service!.runs.length;
      service!.kill();
      proxy.release();
      await waitFor(() => service!.runs.length > runsBefore, 'a restart after SIGKILL', EMULATED_MS / 4, 100);
      expect(service!.runs[runsBefore - 1]).toMatchObject({ version: '0.1.0', signal: 'SIGKILL' });

      await waitFor(
        async () => (await report())?.current === '0.1.1' && (await report())?.state === 'idle',
        'the agent confirmed on 0.1.1',
        EMULATED_MS,
        500,
      ).catch(failed('upgrade'));
      expect(readlinkSync(path.join(root, 'current'))).toBe('0.1.1');
      expect(readFileSync(path.join(root, '.update-result'), 'utf8')).toContain('state=confirmed');
      // After the SIGKILL, the new process asked for the rest only.
      expect(proxy.rangeStarts.slice(0, 3)).toEqual([0, proxy.rangeStarts[1], stalledAt]);
      expect(service!.runs.map((r) => [r.version, r.code ?? r.signal])).toEqual([
        ['0.1.0', 'SIGKILL'],
        ['0.1.0', RESTART_EXIT_CODE],
        ['0.1.1', undefined],
      ]);
    },
    EMULATED_MS * 2,
  );

  it(
    'switches back from a release that crashes at start and reports why',
    async () => {
      await rollout('0.1.2');
      await waitFor(async () => (await report())?.state === 'rolled_back', 'the rollback reported', EMULATED_MS * 1.5, 500).catch(failed('crash'));
      expect(await report()).toMatchObject({ current: '0.1.1', target: '0.1.2', reason: UPDATE_CRASHED });
      expect(readlinkSync(path.join(root, 'current'))).toBe('0.1.1');
      // 0.1.1 switched and exited for the restart, 0.1.2 exited 1 twice (maxStarts), 0.1.1 back.
      expect(service!.runs.slice(2).map((r) => [r.version, r.code ?? r.signal])).toEqual([
        ['0.1.1', RESTART_EXIT_CODE],
        ['0.1.2', 1],
        ['0.1.2', 1],
        ['0.1.1', undefined],
      ]);
    },
    EMULATED_MS * 2,
  );

  it(
    'kept polling and buffering throughout: every seq reached the relay, readings paused only across restarts',
    async () => {
      // Readings the agent takes from here on reach the relay too.
      const buffer = path.join(work, 'buffer.db');
      const nextSeq = (): number => {
        const db = new Database(buffer, { readonly: true, fileMustExist: true });
        try {
          return (db.prepare("SELECT value FROM meta WHERE key = 'next_seq'").get() as { value: number }).value;
        } finally {
          db.close();
        }
      };
      const last = nextSeq() - 1;
      const gw = await waitFor(
        async () => (await relay.store.listGateways()).find((g) => g.id === GATEWAY && (g.highestSeq ?? 0) >= last),
        'the relay caught up',
        EMULATED_MS / 4,
        250,
      );
      // No seq missing at the relay: every record the buffer ever gave a seq is stored.
      expect(gw.records).toBe(gw.highestSeq);

      const db = new Database(path.join(dir, 'relay.db'), { readonly: true });
      const ts = (
        db.prepare("SELECT ts FROM records WHERE gateway = ? AND device = 'flow-tcp' AND channel = 'flow' ORDER BY seq").all(GATEWAY) as Array<{ ts: number }>
      ).map((r) => r.ts);
      db.close();
      expect(ts.length).toBeGreaterThan(20);
      // Any pause in the readings longer than a few poll intervals spans the end of a run (a restart).
      const exits = service!.runs.flatMap((r) => (r.exitedAt === undefined ? [] : [r.exitedAt]));
      const unexplained = ts.slice(1).flatMap((t, i) => (t - ts[i]! > 10_000 && !exits.some((e) => e >= ts[i]! && e <= t) ? [[ts[i]!, t]] : []));
      expect(unexplained).toEqual([]);
      process.stderr.write(
        `update-arm64: runs ${service!.runs.map((r) => `${r.version}:${r.code ?? r.signal ?? 'up'}`).join(' ')}; ${ts.length} flow readings at the relay, longest pause ${Math.max(...ts.slice(1).map((t, i) => t - ts[i]!))} ms\n`,
      );
    },
    EMULATED_MS,
  );
});
