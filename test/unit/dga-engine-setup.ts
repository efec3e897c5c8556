/** Shared by the DGA engine tests: a relay store and DGA queue on a temp SQLite file, a fake clock, readings. */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Logger } from 'pino';
import type { DgaClient } from '../../cloud/dga/client.ts';
import type { DgaClients } from '../../cloud/dga/clients.ts';
import type { DgaConfig } from '../../cloud/dga/config.ts';
import { dgaConfigSchema } from '../../cloud/dga/config.ts';
import { DgaEngine } from '../../cloud/dga/engine.ts';
import { newRelayKey, parseRelayKey } from '../../cloud/secrets.ts';
import type { DgaStore } from '../../cloud/store/dga-types.ts';
import { createRelayDatabase } from '../../cloud/store/index.ts';
import type { RelayRecord, RelayStore } from '../../cloud/store/types.ts';
import type { Quality } from '../../protocols/records.ts';
import { testLogger } from '../helpers/logger.ts';

export const HOUR = 3_600_000;
export const MINUTE = 60_000;
/** 2025-06-16 00:00 on DGA's UTC-4 clock. */
export const DAY0 = Date.UTC(2025, 5, 16, 4, 0, 0);
export const at = (hour: number, minute = 0): number => DAY0 + hour * HOUR + minute * MINUTE;
export const BOOT = '5f1c2e0a-1b2c-4d5e-8f90-a1b2c3d4e5f6';
// Valid mod-11 RUTs (the manual's examples fail their check digit).
export const CREDENTIALS = { rutUsuario: '20999888-2', rutEmpresa: '77555666-8', password: 's3cr3t-Pa55' };

export class FakeClock {
  constructor(public t: number) {}
  now(): number {
    return this.t;
  }
  monotonic(): number {
    return this.t;
  }
}

export const WELL = {
  code: 'OB-0602-7',
  kind: 'subterranea',
  gateway: 'gw-1',
  device: 'pozo-1',
  channels: { flow: 'flow', totalizer: 'totalizer', waterColumn: 'water_column' },
  sensorDepthM: 60,
  startAt: new Date(at(0)).toISOString(),
  // The sending-rule tests use readings that are not physically consistent (10 m³/h at 10 l/s):
  // the plausibility checks have their own tests (dga-review-*).
  review: { enabled: false },
} as const;

export interface Setup {
  readonly dir: string;
  readonly clock: FakeClock;
  readonly records: RelayStore;
  readonly queue: DgaStore;
  readonly config: DgaConfig;
  readonly key: Buffer;
  engine: DgaEngine;
  /** A new engine on the same stores (a relay restart), with its own clients. */
  restart(clients: DgaClients, instance?: string): DgaEngine;
  /** Stores readings of `gateway` (default gw-1) as if it had synced them now. */
  ingest(readings: ReadonlyArray<Partial<RelayRecord> & Pick<RelayRecord, 'channel' | 'value' | 'ts'>>, gateway?: string): Promise<void>;
  close(): Promise<void>;
}

export function clientsOf(client: DgaClient): DgaClients {
  return { get: () => client, close: async () => undefined };
}

let seq = 0;

export async function setup(clients: DgaClients, dga: Record<string, unknown> = {}, logger: Logger = testLogger()): Promise<Setup> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atalaya-dga-'));
  const file = path.join(dir, 'relay.db');
  const clock = new FakeClock(at(0));
  // One database for both stores, as the relay opens it.
  const { records, dga: queue, start } = createRelayDatabase({ kind: 'sqlite', path: file }, logger);
  await start();
  const config = dgaConfigSchema.parse({ enabled: true, obras: [WELL], ...dga });
  const key = parseRelayKey(newRelayKey(), 'test');
  const gateways = new Set<string>();
  const build = (c: DgaClients, instance: string): DgaEngine => new DgaEngine({ config, records, queue, key, clients: c, clock, logger, instance });
  const s: Setup = {
    dir,
    clock,
    records,
    queue,
    config,
    key,
    engine: build(clients, 'relay-1'),
    restart: (c, instance = 'relay-2') => build(c, instance),
    async ingest(readings, gateway = 'gw-1') {
      if (!gateways.has(gateway)) {
        await records.addGateway(gateway, 'sealed', clock.now());
        gateways.add(gateway);
      }
      const batch = readings.map((r) => {
        const n = ++seq;
        return {
          gateway,
          seq: n,
          kind: 'reading' as const,
          device: 'pozo-1',
          unit: unitOf(r.channel),
          quality: 'good' as Quality,
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
      const outcome = await records.ingest({ gateway, records: batch, now: clock.now(), clockOffsetMs: 0 });
      if (!outcome.ok) throw new Error('ingest conflict');
    },
    async close() {
      await queue.stop();
      await records.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  return s;
}

function unitOf(channel: string): string {
  return channel === 'flow' ? 'L/s' : channel === 'totalizer' ? 'm3' : 'm';
}

/** One good reading per channel at `ts` (flow l/s, totalizer m³, water column m). */
export function wellReadings(ts: number, flow: number, totalizer: number, column: number): Array<Pick<RelayRecord, 'channel' | 'value' | 'ts'>> {
  return [
    { channel: 'flow', value: flow, ts },
    { channel: 'totalizer', value: totalizer, ts },
    { channel: 'water_column', value: column, ts },
  ];
}
