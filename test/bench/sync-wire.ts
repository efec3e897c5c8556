/**
 * Size and speed of the sync body (protocols/sync/batch.ts) on realistic agent data: 4 gas
 * detectors × 10 channels (4 gases + 6 status bits) and 2 flowmeters × 8 channels (flow,
 * totalizer, water column, level + 4 status bits) polled every second, values rounded to their
 * channel's resolution and varying slowly, a rare failed poll, a few alarms sent first.
 * Target: ≤ 16 bytes per reading on the wire. Prints figures, asserts nothing.
 * Run: node bin/run-ts.mjs test/bench/sync-wire.ts
 */
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import zlib from 'node:zlib';
import type { Quality, StoredRecord } from '../../protocols/records.ts';
import { PRIORITY } from '../../protocols/records.ts';
import { newRecordProblem, storedRecordProblem } from '../../protocols/records-check.ts';
import { decodeBatch, encodeBatch, estimateRecordBytes } from '../../protocols/sync/batch.ts';
import { storedRecordSchema } from '../../protocols/sync/schemas.ts';
import type { SyncBatch } from '../../protocols/sync/types.ts';
import { fmt, machineLine, out } from './common.ts';

const T0 = 1_750_000_000_000;
const MONO0 = 86_400_000;
const BOOT_ID = '5f1c3b1e-0d6e-4a43-9f0e-1d2c3b4a5e6f';

/** Deterministic uniform [0, 1) (mulberry32), so every run measures the same bytes. */
function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

const round = (v: number, resolution: number): number => {
  const f = 10 ** Math.round(-Math.log10(resolution));
  return Math.round(v * f) / f;
};

interface Channel {
  readonly key: string;
  readonly unit: string;
  readonly dga: boolean;
  readonly next: () => number;
}

function devices(random: () => number): { name: string; offsetMs: number; channels: Channel[] }[] {
  const noise = (a: number): number => (random() * 2 - 1) * a;
  const bits = (keys: string[]): Channel[] => keys.map((key) => ({ key, unit: '', dga: false, next: () => 0 }));
  const gas = [0, 1, 2, 3].map((d) => {
    let ch4 = 0.5 + d * 0.3;
    let co = 2;
    return {
      name: `gas-0${d + 1}`,
      offsetMs: d * 37,
      channels: [
        {
          key: 'ch4',
          unit: '%LEL',
          dga: false,
          next: () => {
            ch4 = Math.max(0, ch4 + noise(0.05) + (0.5 - ch4) * 0.01);
            return round(ch4 + noise(0.1), 0.1);
          },
        },
        { key: 'h2s', unit: 'ppm', dga: false, next: () => round(Math.max(0, 0.2 + noise(0.1)), 0.1) },
        {
          key: 'co',
          unit: 'ppm',
          dga: false,
          next: () => {
            co = Math.max(0, co + noise(0.2));
            return round(co, 1);
          },
        },
        { key: 'o2', unit: '%vol', dga: false, next: () => round(20.9 + noise(0.02), 0.01) },
        ...bits(['fault_ch4', 'fault_h2s', 'fault_co', 'fault_o2', 'alarm_1', 'alarm_2']),
      ],
    };
  });
  const flow = [0, 1].map((d) => {
    let q = 12.5 + d * 7;
    let total = 123_456.7 + d * 10_000;
    let column = 45.2 - d * 3;
    return {
      name: `well-0${d + 1}`,
      offsetMs: 200 + d * 41,
      channels: [
        {
          key: 'flow',
          unit: 'L/s',
          dga: true,
          next: () => {
            q += noise(0.01) + (12.5 + d * 7 - q) * 0.01;
            return round(q + noise(0.05), 0.001);
          },
        },
        {
          key: 'totalizer',
          unit: 'm3',
          dga: true,
          next: () => {
            total += q / 1000;
            return round(total, 0.1);
          },
        },
        {
          key: 'water_column',
          unit: 'm',
          dga: false,
          next: () => {
            column += noise(0.001);
            return round(column + noise(0.003), 0.001);
          },
        },
        { key: 'level', unit: 'm', dga: true, next: () => round(60 - column, 0.001) },
        ...bits(['empty_pipe', 'fault_coil', 'fault_level', 'reverse_flow']),
      ],
    };
  });
  return [...gas, ...flow];
}

/** `total` records as the agent's sync sends them: alarms first, then readings, each in seq order. */
export function realisticRecords(total: number, seed = 1): StoredRecord[] {
  const random = seeded(seed);
  const fleet = devices(random);
  const readings: StoredRecord[] = [];
  const alarms: StoredRecord[] = [];
  let seq = 1_000_000;
  for (let second = 0; readings.length + alarms.length < total; second++) {
    for (const device of fleet) {
      const ts = T0 + second * 1000 + device.offsetMs + Math.floor(random() * 15);
      const failed = random() < 0.002;
      for (const c of device.channels) {
        const value = c.next();
        const quality: Quality = failed ? 'comm_error' : 'good';
        const base = {
          kind: 'reading',
          device: device.name,
          channel: c.key,
          value: failed ? null : value,
          unit: c.unit,
          quality,
          exception: null,
          ts,
          mono: ts - T0 + MONO0,
          bootId: BOOT_ID,
          flags: 0,
        } as const;
        readings.push({ ...base, seq: seq++, priority: c.dga ? PRIORITY.dga : PRIORITY.ordinary });
        if (!failed && c.key === 'ch4' && random() < 0.004) {
          const state = random() < 0.5 ? 'raised' : 'cleared';
          alarms.push({ ...base, seq: seq++, kind: 'alarm', priority: PRIORITY.alarm, alarm: { rule: 'high1', level: 'warning', state, threshold: 10 } });
        }
      }
    }
  }
  return [...alarms, ...readings].slice(0, total);
}

export function realisticBatch(total: number, seed = 1): SyncBatch {
  const records = realisticRecords(total, seed);
  const last = records.at(-1);
  return { gateway: 'gw-pozo-07', sentAt: (last?.ts ?? T0) + 250, mono: (last?.mono ?? MONO0) + 250, bootId: BOOT_ID, clockSynced: true, records };
}

/** Operations per second of `f`, run for about `seconds` after a warm-up. */
function perSecond(f: () => void, seconds = 1): number {
  for (let i = 0; i < 3; i++) f();
  let runs = 0;
  const started = performance.now();
  while (performance.now() - started < seconds * 1000) {
    f();
    runs++;
  }
  return runs / ((performance.now() - started) / 1000);
}

/** The same records with every value replaced by noise at 0.001 resolution: a bound on what values can cost. */
function noisyBatch(total: number): SyncBatch {
  const random = seeded(2);
  const batch = realisticBatch(total);
  return { ...batch, records: batch.records.map((r) => (r.value === null ? r : { ...r, value: round(random() * 1000, 0.001) })) };
}

function report(label: string, batch: SyncBatch): void {
  const n = batch.records.length;
  const body = encodeBatch(batch);
  const inflated = zlib.gunzipSync(body).length;
  const alarms = batch.records.filter((r) => r.kind === 'alarm').length;
  const estimate = batch.records.reduce((sum, r) => sum + estimateRecordBytes(r), 0);
  const naive = zlib.gzipSync(JSON.stringify(batch), { level: 9 }).length;
  const encodes = perSecond(() => void encodeBatch(batch));
  const decodes = perSecond(() => void decodeBatch(body));
  out(
    `  ${label} ${fmt(n).padStart(5)} records (${alarms} of them alarms): ${fmt(body.length)} bytes gzip = ${fmt(body.length / n, 2)} bytes/record ` +
      `(gzip of plain JSON records: ${fmt(naive / n, 2)}); inflated ${fmt(inflated / n, 1)} bytes/record, estimateRecordBytes ${fmt(estimate / n, 1)}; ` +
      `encode ${fmt(encodes * n)} records/s, decode ${fmt(decodes * n)} records/s`,
  );
}

/**
 * The record check (protocols/records-check.ts) that buffer.append, encodeBatch and decodeBatch
 * run on every record, against zod's storedRecordSchema, which encodeBatch used to run.
 */
function reportCheck(records: readonly StoredRecord[]): void {
  let refused = 0;
  const us = (f: () => void): number => 1e6 / (perSecond(f) * records.length);
  const stored = us(() => {
    for (const r of records) if (storedRecordProblem(r) !== undefined) refused++;
  });
  const fresh = us(() => {
    for (const r of records) if (newRecordProblem(r) !== undefined) refused++;
  });
  const zod = us(() => {
    for (const r of records) if (!storedRecordSchema.safeParse(r).success) refused++;
  });
  out(
    `  record check over ${fmt(records.length)} records: storedRecordProblem ${fmt(stored, 3)} µs/record, newRecordProblem ${fmt(fresh, 3)} µs/record; zod storedRecordSchema ${fmt(zod, 3)} µs/record (refused: ${refused})`,
  );
}

export function main(): void {
  out(machineLine());
  out('sync wire: 4 gas detectors × 10 channels + 2 flowmeters × 8 channels polled every 1 s (56 readings/s), alarms first');
  for (const n of [1000, 5000]) report('realistic', realisticBatch(n));
  for (const n of [1000, 5000]) report('noisy    ', noisyBatch(n));
  reportCheck(realisticRecords(5000));
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) main();
