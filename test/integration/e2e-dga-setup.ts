/**
 * The whole chain in one process for e2e-dga.test.ts: flowmeter simulators (Modbus/TCP) → agent →
 * relay (DGA on) → DGA service double, on one scaled clock so that hourly slots pass in seconds.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseConfig } from '../../agent/config/load.ts';
import { Agent } from '../../agent/main.ts';
import { parseRelayConfig } from '../../cloud/config/load.ts';
import type { DgaEngine } from '../../cloud/dga/engine.ts';
import { GatewaySecrets } from '../../cloud/ingest/gateway-secrets.ts';
import { Relay } from '../../cloud/main.ts';
import { newRelayKey, parseRelayKey } from '../../cloud/secrets.ts';
import { type Clock, systemClock } from '../../protocols/clock.ts';
import { DgaSimulator } from '../../simulators/dga/simulator.ts';
import type { RegistryEntry } from '../../simulators/dga/types.ts';
import type { DeviceParams } from '../../simulators/modbus/device.ts';
import { ModbusSimulator } from '../../simulators/modbus/simulator.ts';
import { testLogger } from '../helpers/logger.ts';

export const HOUR = 3_600_000;
export const MINUTE = 60_000;
export const GATEWAY = 'gw-e2e-dga';
/**
 * dga.toleranceMs: a slot takes the reading closest to it within ± this. 10 scaled minutes is
 * ±1 real second at ×600, so a busy machine that stalls the agent's 100 ms polls for a moment
 * does not leave a slot without a reading.
 */
export const TOLERANCE_MS = 10 * 60_000;
const CREDENTIALS = { rutUsuario: '20999888-2', rutEmpresa: '77555666-8', password: 'secreto' };

/**
 * now() = t0 + (real − real0) × factor, monotonic() = (real − real0) × factor, both whole ms.
 * Stands still at t0 until run(): the parts start up without using scaled hours.
 */
export class ScaledClock implements Clock {
  private real0: number | undefined;

  constructor(
    readonly t0: number,
    readonly factor: number,
  ) {}

  run(): void {
    this.real0 ??= performance.now();
  }

  now(): number {
    return this.t0 + this.monotonic();
  }

  monotonic(): number {
    return this.real0 === undefined ? 0 : Math.floor((performance.now() - this.real0) * this.factor);
  }
}

/**
 * Forwards to the relay and sets each answer's HTTP Date from `clock`. The agent corrects its
 * signing time by the relay's Date (agent/sync/skew.ts) and Node's HTTP server stamps Date from the
 * real clock, not the relay's injected one: 6 scaled hours away, every batch would be signed with
 * real time and refused as stale by a relay on the scaled clock.
 */
export async function startDateProxy(target: number, clock: Clock): Promise<{ readonly url: string; close(): Promise<void> }> {
  const agent = new http.Agent({ keepAlive: true });
  const server = http.createServer((req, res) => {
    const upstream = http.request({ host: '127.0.0.1', port: target, method: req.method, path: req.url, headers: req.headers, agent }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, { ...answer.headers, date: new Date(clock.now()).toUTCString() });
      answer.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      agent.destroy();
      await closed;
    },
  };
}

/** One obra on its own simulated flowmeter (a Modbus unit of the shared simulator). */
export interface ChainObra {
  readonly code: string;
  readonly kind: 'subterranea' | 'superficial-flujometro';
  /** Agent device id, also the relay obra's `device`. */
  readonly device: string;
  readonly unitId: number;
  /** Flowmeter simulator params (FLOWMETER_PARAMS keys). */
  readonly params: DeviceParams;
  /** Depth of the pressure sensor, m (the flowmeter profile needs it); a well reports its level from the water column. */
  readonly sensorDepthM: number;
}

export interface Chain {
  readonly clock: ScaledClock;
  readonly modbus: ModbusSimulator;
  readonly dgaSim: DgaSimulator;
  readonly relay: Relay;
  readonly agent: Agent;
  readonly dga: DgaEngine;
  stop(): Promise<void>;
}

export interface ChainOptions {
  readonly clock: ScaledClock;
  readonly obras: readonly ChainObra[];
  /** ISO 8601 with offset: first slot reported. */
  readonly startAt: string;
}

/** Runs every step even when one throws; rethrows the first failure. */
async function cleanup(steps: ReadonlyArray<() => Promise<unknown> | unknown>): Promise<void> {
  let first: unknown;
  for (const step of steps) {
    try {
      await step();
    } catch (err) {
      first ??= err;
    }
  }
  if (first !== undefined) throw first;
}

/** Starts DGA double, relay, Modbus simulator and agent, in that order; on failure stops what started. */
export async function startChain(options: ChainOptions): Promise<Chain> {
  const { clock, obras } = options;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atalaya-e2e-dga-'));
  const logger = testLogger();
  const stops: Array<() => Promise<unknown> | unknown> = [() => fs.rmSync(dir, { recursive: true, force: true })];
  const stopAll = (): Promise<void> => cleanup([...stops].reverse());
  try {
    const registry: RegistryEntry[] = obras.map((o) => ({
      obra: o.code,
      kind: o.kind,
      informantRut: CREDENTIALS.rutUsuario,
      rutEmpresa: CREDENTIALS.rutEmpresa,
      password: CREDENTIALS.password,
    }));
    const dgaSim = new DgaSimulator({ rest: { host: '127.0.0.1', port: 0 }, soap: { host: '127.0.0.1', port: 0 }, clock, logger, registry, seed: 7 });
    stops.push(() => dgaSim.stop());
    await dgaSim.start();

    const key = newRelayKey();
    const relay = new Relay(
      parseRelayConfig({
        listen: { host: '127.0.0.1', port: 0 },
        storage: { kind: 'sqlite', path: path.join(dir, 'relay.db') },
        // 1 h of scaled time is 6 real seconds at ×600: a request delayed by a busy machine is not refused as stale.
        ingest: { skewMs: 3_600_000 },
        dga: {
          enabled: true,
          restBaseUrl: dgaSim.restUrl,
          soapEndpoint: dgaSim.soapUrl,
          timeoutMs: 5000,
          toleranceMs: TOLERANCE_MS,
          obras: obras.map((o) => ({
            code: o.code,
            kind: o.kind,
            gateway: GATEWAY,
            device: o.device,
            startAt: options.startAt,
            ...(o.kind === 'subterranea'
              ? { channels: { flow: 'flow', totalizer: 'totalizer', waterColumn: 'water_column' }, sensorDepthM: o.sensorDepthM }
              : { channels: { flow: 'flow', totalizer: 'totalizer' } }),
          })),
        },
      }),
      // The cron schedule runs on real time: the test drives dga.tick() itself.
      { logger, clock, env: { ATALAYA_RELAY_KEY: key }, dgaSchedule: false },
    );
    stops.push(() => relay.stop());
    await relay.start();
    const dga = relay.dga!;
    for (const o of obras) await dga.setCredentials(o.code, CREDENTIALS);
    const secret = await new GatewaySecrets({ store: relay.store, key: parseRelayKey(key, 'test'), logger }).provision(GATEWAY, clock.now());

    const proxy = await startDateProxy(relay.address.port, clock);
    stops.push(() => proxy.close());

    const modbus = new ModbusSimulator({
      devices: obras.map((o) => ({ unitId: o.unitId, kind: 'flowmeter' as const, scenario: 'steady', params: o.params })),
      tcp: { host: '127.0.0.1', port: 0 },
      clock,
      logger,
      seed: 3,
    });
    stops.push(() => modbus.stop());
    await modbus.start();

    const tcp = { host: '127.0.0.1', port: modbus.tcpPort!, timeoutMs: 1000 };
    const config = parseConfig({
      gateway: { id: GATEWAY },
      buffer: { path: path.join(dir, 'buffer.db'), commitIntervalMs: 20 },
      mqtt: { enabled: false },
      status: { host: '127.0.0.1', port: 0 },
      devices: obras.map((o) => ({
        id: o.device,
        profile: 'flowmeter',
        tcp,
        unitId: o.unitId,
        intervalMs: 100,
        params: { sensorDepthM: o.sensorDepthM },
      })),
      sync: {
        url: proxy.url,
        idleMs: 100,
        backoff: { initialMs: 100, maxMs: 1000 },
        // No timesyncd directory: the clock is trusted by year and the absence of jumps (agent/sync/clock.ts).
        // Wall time runs ×600 against the agent's real monotonic time (see below): 600 s of
        // apparent jump per real second between two looks, far below this bound.
        clock: { syncFlagFile: path.join(dir, 'no-timesyncd', 'synchronized'), checkIntervalMs: 1000, jumpThresholdMs: 3_600_000 },
      },
    });
    // The agent stamps readings with the scaled wall clock but keeps real monotonic time: its poller
    // and buffer schedule setTimeout(deadline − monotonic()) in real ms, so a scaled monotonic
    // clock would make them poll and commit back to back.
    const agentClock: Clock = { now: () => clock.now(), monotonic: systemClock.monotonic };
    const agent = new Agent(config, { logger, clock: agentClock, env: { ATALAYA_GATEWAY_SECRET: secret } });
    stops.push(() => agent.stop());
    await agent.start();
    return { clock, modbus, dgaSim, relay, agent, dga, stop: stopAll };
  } catch (err) {
    await stopAll().catch(() => undefined);
    throw err;
  }
}
