/** Shared by the relay ↔ DGA simulator tests: a relay with DGA on, the simulator on port 0, one fake clock. */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseRelayConfig } from '../../cloud/config/load.ts';
import type { DgaEngine } from '../../cloud/dga/engine.ts';
import { hashApiToken, newApiToken } from '../../cloud/http/auth.ts';
import { Relay } from '../../cloud/main.ts';
import { newRelayKey } from '../../cloud/secrets.ts';
import type { RelayRecord } from '../../cloud/store/types.ts';
import type { DgaFaults } from '../../simulators/dga/faults.ts';
import { DgaSimulator } from '../../simulators/dga/simulator.ts';
import type { RegistryEntry } from '../../simulators/dga/types.ts';
import { testLogger } from '../helpers/logger.ts';

export const HOUR = 3_600_000;
export const MINUTE = 60_000;
export const CREDENTIALS = { rutUsuario: '20999888-2', rutEmpresa: '77555666-8', password: 'secreto' };
export const BOOT = '5f1c2e0a-1b2c-4d5e-8f90-a1b2c3d4e5f6';

export class FakeClock {
  constructor(public t: number) {}
  now(): number {
    return this.t;
  }
  monotonic(): number {
    return this.t;
  }
}

export interface Bench {
  readonly relay: Relay;
  readonly sim: DgaSimulator;
  readonly clock: FakeClock;
  readonly url: string;
  readonly token: string;
  /** The relay key, base64. */
  readonly key: string;
  readonly dga: DgaEngine;
  /** Stores readings as if the gateway had synced them now (relay store, as the ingest does). */
  ingest(readings: ReadonlyArray<Pick<RelayRecord, 'channel' | 'value' | 'ts'> & Partial<RelayRecord>>, gateway?: string): Promise<void>;
  /** Advances the fake clock by a minute and ticks, `minutes` times. */
  run(minutes: number): Promise<void>;
  stop(): Promise<void>;
}

export interface BenchOptions {
  readonly start: number;
  readonly obras: ReadonlyArray<Record<string, unknown>>;
  readonly dga?: Record<string, unknown>;
  readonly faults?: DgaFaults;
  readonly storage?: Record<string, unknown>;
  /** Second relay on the same database: pass the first bench's. */
  readonly sim?: DgaSimulator;
  readonly clock?: FakeClock;
  /** Relays on one database share the relay key (it encrypts the DGA credentials). */
  readonly key?: string;
  /** Run ticks on dga.schedule (node-cron) rather than only when the test calls them. */
  readonly schedule?: boolean;
  /** The anchor: section (anchoring ticks only when the test calls them) and env such as ATALAYA_ANCHOR_KEY. */
  readonly anchor?: Record<string, unknown>;
  readonly env?: Record<string, string>;
  /** Lists the bench's operator token with this name (apiTokens: [{ name, sha256 }]). */
  readonly tokenName?: string;
}

let seq = 0;

export async function startBench(options: BenchOptions): Promise<Bench> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atalaya-relay-dga-'));
  const clock = options.clock ?? new FakeClock(options.start);
  const registry: RegistryEntry[] = options.obras.map((o) => ({
    obra: String(o['code']),
    kind: o['kind'] as RegistryEntry['kind'],
    informantRut: CREDENTIALS.rutUsuario,
    rutEmpresa: CREDENTIALS.rutEmpresa,
    password: CREDENTIALS.password,
  }));
  const ownSim = options.sim === undefined;
  const sim =
    options.sim ??
    new DgaSimulator({
      rest: { host: '127.0.0.1', port: 0 },
      soap: { host: '127.0.0.1', port: 0 },
      clock,
      logger: testLogger(),
      registry,
      seed: 11,
      faults: options.faults ?? {},
    });
  if (ownSim) await sim.start();
  const token = newApiToken();
  const key = options.key ?? newRelayKey();
  const config = parseRelayConfig({
    listen: { host: '127.0.0.1', port: 0 },
    storage: options.storage ?? { kind: 'sqlite', path: path.join(dir, 'relay.db') },
    apiTokens: [options.tokenName === undefined ? hashApiToken(token) : { name: options.tokenName, sha256: hashApiToken(token) }],
    dga: { enabled: true, restBaseUrl: sim.restUrl, soapEndpoint: sim.soapUrl, timeoutMs: 2000, obras: options.obras, ...options.dga },
    ...(options.anchor === undefined ? {} : { anchor: options.anchor }),
  });
  const relay = new Relay(config, {
    logger: testLogger(),
    env: { ATALAYA_RELAY_KEY: key, ...options.env },
    clock,
    dgaSchedule: options.schedule === true,
    anchorSchedule: false,
  });
  try {
    await relay.start();
  } catch (err) {
    if (ownSim) await sim.stop();
    fs.rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const dga = relay.dga!;
  for (const o of options.obras) await dga.setCredentials(String(o['code']), CREDENTIALS);
  const gateways = new Set<string>();
  return {
    relay,
    sim,
    clock,
    dga,
    token,
    key,
    url: `http://127.0.0.1:${relay.address.port}`,
    async ingest(readings, gateway = 'gw-1') {
      if (!gateways.has(gateway) && (await relay.store.getGateway(gateway)) === undefined) await relay.store.addGateway(gateway, 'sealed', clock.now());
      gateways.add(gateway);
      const records = readings.map((r) => {
        const n = ++seq;
        return {
          gateway,
          seq: n,
          kind: 'reading' as const,
          device: 'pozo-1',
          unit: r.channel === 'flow' ? 'L/s' : r.channel === 'totalizer' ? 'm3' : 'm',
          quality: 'good' as const,
          exception: null,
          tsCorrected: null,
          mono: n,
          bootId: BOOT,
          priority: 1 as const,
          flags: 0,
          hash: createHash('sha256').update(`${n}`).digest('hex'),
          ...r,
        };
      });
      const outcome = await relay.store.ingest({ gateway, records, now: clock.now(), clockOffsetMs: 0 });
      if (!outcome.ok) throw new Error('ingest conflict');
    },
    async run(minutes) {
      for (let i = 0; i < minutes; i++) {
        clock.t += MINUTE;
        await dga.tick();
      }
    },
    async stop() {
      await relay.stop();
      if (ownSim) await sim.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Readings every 10 minutes in [from, to): flow, totalizer, water column from `values(t)`. */
export function readingsEvery10Min(
  from: number,
  to: number,
  values: (t: number) => { flow: number; totalizer: number; column?: number; level?: number },
): Array<Pick<RelayRecord, 'channel' | 'value' | 'ts'>> {
  const out: Array<Pick<RelayRecord, 'channel' | 'value' | 'ts'>> = [];
  for (let t = from; t < to; t += 10 * MINUTE) {
    const v = values(t);
    out.push({ channel: 'flow', value: v.flow, ts: t }, { channel: 'totalizer', value: v.totalizer, ts: t });
    if (v.column !== undefined) out.push({ channel: 'water_column', value: v.column, ts: t });
    if (v.level !== undefined) out.push({ channel: 'level', value: v.level, ts: t });
  }
  return out;
}
