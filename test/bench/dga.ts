/**
 * DGA reporting at scale (cloud/dga): the issue asks for 1,000 obras reporting hourly (`mayor`).
 * 1. Slot derivation for 1,000 obras × 1 year of hourly readings (flow, totalizer, level: ~26 M
 *    readings), pure (protocols/dga slots.ts, as the engine calls it per slot), built per obra so
 *    memory stays bounded; then the engine's own path (records from a relay SQLite store, the
 *    plausibility checks on, slots into the DGA queue) for 10 obras × 1 year, extrapolated to 1,000.
 *    `--only stored` runs that part alone (the before/after figure of issue 14).
 * 2. Sends per hour against the DGA double (REST on loopback): 1,000 obras with credentials and a
 *    backlog, a fake clock shared by relay and double advanced by the 5-minute spacing between
 *    ticks, its `blockBursts` fault on. Ticks run as fast as they go; the wall-clock rate gives the
 *    capacity, the double's log shows no burst was blocked and every measurement arrived once.
 * Prints, asserts nothing. Run: node bin/run-ts.mjs test/bench/dga.ts
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { pino } from 'pino';
import { createDgaClients } from '../../cloud/dga/clients.ts';
import { dgaConfigSchema } from '../../cloud/dga/config.ts';
import { DgaEngine } from '../../cloud/dga/engine.ts';
import { newRelayKey, parseRelayKey } from '../../cloud/secrets.ts';
import { createRelayDatabase } from '../../cloud/store/index.ts';
import type { RelayRecord, RelayStore } from '../../cloud/store/types.ts';
import type { SlotReading } from '../../protocols/dga/index.ts';
import { DEFAULT_TOLERANCE_MS, deriveSlotMeasurement, slotsBetween } from '../../protocols/dga/index.ts';
import type { Quality } from '../../protocols/records.ts';
import { DgaSimulator } from '../../simulators/dga/simulator.ts';
import type { RegistryEntry } from '../../simulators/dga/types.ts';
import { fmt, machineLine, out } from './common.ts';

const HOUR = 3_600_000;
const MINUTE = 60_000;
const YEAR_HOURS = 8760;
/** 2025-01-01 00:00 on DGA's fixed UTC-4 clock. */
const YEAR0 = Date.UTC(2025, 0, 1, 4, 0, 0);
const PURE_OBRAS = 1000;
const STORED_OBRAS = 10;
const SEND_OBRAS = 1000;
/** Hourly slots queued per obra before sending starts (a 5-hour outage). */
const BACKLOG = 5;
const SPACING_MS = 5 * MINUTE;
const WRAP_AT = 429_496_729.6;
const CREDENTIALS = { rutUsuario: '20999888-2', rutEmpresa: '77555666-8', password: 'bench-secret' };
const BOOT = '5f1c2e0a-1b2c-4d5e-8f90-a1b2c3d4e5f6';
const silent = pino({ level: 'silent' });
const MiB = 2 ** 20;

class FakeClock {
  constructor(public t: number) {}
  now(): number {
    return this.t;
  }
  monotonic(): number {
    return this.t;
  }
}

/** Deterministic [0, 1) (mulberry32): the same data on every run. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface ObraYear {
  readonly flow: SlotReading[];
  readonly totalizer: SlotReading[];
  readonly level: SlotReading[];
}

/**
 * One obra's year: a reading per channel per hour, up to ±90 s off the hour; ~0.3 % of hours have
 * no reading and ~0.5 % a comm_error (some slots come out missing); the totalizer wraps for some.
 */
function obraYear(obra: number): ObraYear {
  const rnd = random(obra + 1);
  const flow: SlotReading[] = [];
  const totalizer: SlotReading[] = [];
  const level: SlotReading[] = [];
  let total = obra % 10 === 0 ? WRAP_AT - 5000 : rnd() * 1e6;
  let previousQ = 15;
  for (let h = 0; h < YEAR_HOURS; h++) {
    if (rnd() < 0.003) continue;
    const ts = YEAR0 + h * HOUR + Math.round((rnd() - 0.5) * 180_000);
    const quality: Quality = rnd() < 0.005 ? 'comm_error' : 'good';
    const q = 5 + 20 * rnd();
    // The hour's volume is the mean of its two flow readings (what the relay's trapezoid integrates).
    total = (total + ((previousQ + q) / 2) * 3.6) % WRAP_AT;
    previousQ = q;
    flow.push({ ts, value: q, quality });
    totalizer.push({ ts, value: total, quality: 'good' });
    level.push({ ts, value: 30 + 5 * Math.sin(h / 500), quality: 'good' });
  }
  return { flow, totalizer, level };
}

/** Readings within ±tol of `slot`, advancing a cursor on time-sorted readings (what the SQL range query returns). */
function windowOf(readings: SlotReading[], cursor: { i: number }, slot: number, tol: number): SlotReading[] {
  while (cursor.i < readings.length && readings[cursor.i]!.ts < slot - tol) cursor.i++;
  const out: SlotReading[] = [];
  for (let j = cursor.i; j < readings.length && readings[j]!.ts <= slot + tol; j++) out.push(readings[j]!);
  return out;
}

function pureDerivation(): void {
  out(`\n-- 1a. pure slot derivation: ${fmt(PURE_OBRAS)} obras × ${fmt(YEAR_HOURS)} hourly slots, flow + totalizer + level`);
  const base = process.memoryUsage();
  let peakRss = base.rss;
  let peakHeap = base.heapUsed;
  let readings = 0;
  let slots = 0;
  let missing = 0;
  let buildMs = 0;
  let deriveMs = 0;
  const slotList = slotsBetween(YEAR0, YEAR0 + (YEAR_HOURS - 1) * HOUR, 'mayor');
  const t0 = performance.now();
  for (let o = 0; o < PURE_OBRAS; o++) {
    const b0 = performance.now();
    const year = obraYear(o);
    const d0 = performance.now();
    buildMs += d0 - b0;
    readings += year.flow.length + year.totalizer.length + year.level.length;
    const cursors = { flow: { i: 0 }, totalizer: { i: 0 }, level: { i: 0 } };
    let previousTotal: number | undefined;
    for (const slot of slotList) {
      const r = deriveSlotMeasurement(
        {
          caudal: windowOf(year.flow, cursors.flow, slot, DEFAULT_TOLERANCE_MS),
          totalizador: windowOf(year.totalizer, cursors.totalizer, slot, DEFAULT_TOLERANCE_MS),
          nivelFreatico: windowOf(year.level, cursors.level, slot, DEFAULT_TOLERANCE_MS),
        },
        slot,
        { toleranceMs: DEFAULT_TOLERANCE_MS, totalizer: { wrapAt: WRAP_AT, ...(previousTotal === undefined ? {} : { previousTotal }) } },
      );
      slots++;
      if ('missing' in r) missing++;
      else previousTotal = r.measurement.totalizador ?? previousTotal;
    }
    deriveMs += performance.now() - d0;
    const m = process.memoryUsage();
    peakRss = Math.max(peakRss, m.rss);
    peakHeap = Math.max(peakHeap, m.heapUsed);
  }
  const totalMs = performance.now() - t0;
  out(`readings built: ${fmt(readings)} in ${fmt(buildMs / 1000, 1)} s (streamed: one obra's year in memory at a time)`);
  out(
    `slots derived: ${fmt(slots)} (${fmt(missing)} missing, ${fmt((100 * missing) / slots, 2)} %) in ${fmt(deriveMs / 1000, 1)} s → ${fmt(slots / (deriveMs / 1000))} slots/s (derivation only)`,
  );
  out(`total incl. building the data: ${fmt(totalMs / 1000, 1)} s → ${fmt(slots / (totalMs / 1000))} slots/s`);
  out(
    `memory: rss ${fmt(base.rss / MiB)} → peak ${fmt(peakRss / MiB)} MiB, heapUsed ${fmt(base.heapUsed / MiB)} → peak ${fmt(peakHeap / MiB)} MiB (sampled after each obra)`,
  );
}

let recordSeq = 0;
/** Readings stored as the ingest does, as if the gateway synced them `now`. */
async function ingest(
  records: RelayStore,
  gateway: string,
  readings: ReadonlyArray<{ channel: string; unit: string; r: SlotReading }>,
  now: number,
): Promise<void> {
  for (let i = 0; i < readings.length; i += 5000) {
    const batch = readings.slice(i, i + 5000).map(({ channel, unit, r }): Omit<RelayRecord, 'receivedAt'> => {
      const n = ++recordSeq;
      return {
        gateway,
        seq: n,
        kind: 'reading',
        device: 'pozo-1',
        channel,
        value: r.value,
        unit,
        quality: r.quality,
        exception: null,
        ts: r.ts,
        tsCorrected: null,
        mono: n,
        bootId: BOOT,
        priority: 1,
        flags: 0,
        hash: createHash('sha256').update(`${gateway}/${n}`).digest('hex'),
      };
    });
    const outcome = await records.ingest({ gateway, records: batch, now, clockOffsetMs: 0 });
    if (!outcome.ok) throw new Error('ingest conflict');
  }
}

function obraConfig(i: number, startAt: number): Record<string, unknown> {
  return {
    code: `OB-0602-${i + 1}`,
    kind: 'subterranea',
    gateway: `gw-${i + 1}`,
    device: 'pozo-1',
    channels: { flow: 'flow', totalizer: 'totalizer', level: 'level' },
    totalizerWrapAt: WRAP_AT,
    startAt: new Date(startAt).toISOString(),
    // Checks on; the flow is read hourly here, so the volume/flow check integrates across 1-hour gaps.
    review: { volumeFlowMaxGapMin: 70, wellDepthM: 200 },
  };
}

function flatten(year: ObraYear): Array<{ channel: string; unit: string; r: SlotReading }> {
  return [
    ...year.flow.map((r) => ({ channel: 'flow', unit: 'L/s', r })),
    ...year.totalizer.map((r) => ({ channel: 'totalizer', unit: 'm3', r })),
    ...year.level.map((r) => ({ channel: 'level', unit: 'm', r })),
  ];
}

async function storedDerivation(dir: string): Promise<void> {
  out(`\n-- 1b. engine derivation from a relay SQLite store: ${STORED_OBRAS} obras × 1 year stored (extrapolated to ${fmt(PURE_OBRAS)})`);
  const file = path.join(dir, 'derive.db');
  const end = YEAR0 + YEAR_HOURS * HOUR;
  const clock = new FakeClock(YEAR0);
  const { records, dga: queue, start } = createRelayDatabase({ kind: 'sqlite', path: file }, silent);
  await start();
  const config = dgaConfigSchema.parse({ enabled: true, obras: Array.from({ length: STORED_OBRAS }, (_, i) => obraConfig(i, YEAR0)) });
  // No credentials: every tick derives, and its send step stops at "no credentials".
  const engine = new DgaEngine({
    config,
    records,
    queue,
    key: parseRelayKey(newRelayKey(), 'bench'),
    clients: createDgaClients(config, silent),
    clock,
    logger: silent,
    instance: 'bench',
  });
  try {
    let stored = 0;
    const i0 = performance.now();
    for (let o = 0; o < STORED_OBRAS; o++) {
      const rows = flatten(obraYear(o));
      await records.addGateway(`gw-${o + 1}`, 'sealed', clock.now());
      await ingest(records, `gw-${o + 1}`, rows, clock.now());
      stored += rows.length;
    }
    const ingestMs = performance.now() - i0;
    out(`stored ${fmt(stored)} readings in ${fmt(ingestMs / 1000, 1)} s (setup, not the figure)`);
    await engine.start();
    clock.t = end + 10 * MINUTE;
    let ticks = 0;
    let derived = 0;
    let missing = 0;
    let review = 0;
    const t0 = performance.now();
    for (;;) {
      const report = await engine.tick();
      if (!report.ran) throw new Error(`tick did not run: ${report.reason}`);
      ticks++;
      const n = report.obras.reduce((s, o) => s + o.derived, 0);
      missing += report.obras.reduce((s, o) => s + o.missing, 0);
      review += report.obras.reduce((s, o) => s + o.review, 0);
      derived += n;
      if (n === 0) break;
    }
    const ms = performance.now() - t0;
    const rate = derived / (ms / 1000);
    const full = PURE_OBRAS * YEAR_HOURS;
    out(
      `derived ${fmt(derived)} slots (${fmt(missing)} missing, ${fmt(review)} held for review) in ${ticks} ticks (maxSlotsPerTick ${config.maxSlotsPerTick}), ${fmt(ms / 1000, 1)} s → ${fmt(rate)} slots/s, plausibility checks on`,
    );
    out(
      `  per obra per tick: one range query per channel for all its due slots, the checks' history and baseline once, every row in one transaction (SQLite, synchronous=FULL)`,
    );
    out(
      `extrapolated: ${fmt(PURE_OBRAS)} obras × 1 year = ${fmt(full)} slots ≈ ${fmt(full / rate / 60, 1)} min; steady state ${fmt(PURE_OBRAS)} new slots/h ≈ ${fmt((PURE_OBRAS / rate) * 1000)} ms per hour`,
    );
    out(`database: ${fmt(fs.statSync(file).size / MiB, 1)} MiB (+ WAL), rss ${fmt(process.memoryUsage().rss / MiB)} MiB`);
  } finally {
    await engine.stop();
    await queue.stop();
    await records.stop();
  }
}

async function sends(dir: string): Promise<void> {
  out(
    `\n-- 2. sends to the DGA double (REST, loopback): ${fmt(SEND_OBRAS)} obras × ${BACKLOG} queued hourly slots, spacing ${SPACING_MS / MINUTE} min, blockBursts on`,
  );
  const file = path.join(dir, 'send.db');
  const firstSlot = YEAR0;
  const clock = new FakeClock(firstSlot + (BACKLOG - 1) * HOUR + 10 * MINUTE);
  const obras = Array.from({ length: SEND_OBRAS }, (_, i) => obraConfig(i, firstSlot));
  const registry: RegistryEntry[] = obras.map((o) => ({
    obra: String(o['code']),
    kind: 'subterranea',
    informantRut: CREDENTIALS.rutUsuario,
    rutEmpresa: CREDENTIALS.rutEmpresa,
    password: CREDENTIALS.password,
  }));
  const sim = new DgaSimulator({
    rest: { host: '127.0.0.1', port: 0 },
    clock,
    logger: silent,
    registry,
    seed: 7,
    faults: { blockBursts: { windowMs: SPACING_MS, maxPerWindow: 1 } },
  });
  await sim.start();
  const { records, dga: queue, start } = createRelayDatabase({ kind: 'sqlite', path: file, synchronous: 'full' }, silent);
  let engine: DgaEngine | undefined;
  try {
    await start();
    const config = dgaConfigSchema.parse({ enabled: true, restBaseUrl: sim.restUrl, timeoutMs: 10_000, spacingMs: SPACING_MS, obras });
    engine = new DgaEngine({
      config,
      records,
      queue,
      key: parseRelayKey(newRelayKey(), 'bench'),
      clients: createDgaClients(config, silent),
      clock,
      logger: silent,
      instance: 'bench',
    });
    for (let o = 0; o < SEND_OBRAS; o++) {
      const rows: Array<{ channel: string; unit: string; r: SlotReading }> = [];
      for (let h = 0; h < BACKLOG; h++) {
        const ts = firstSlot + h * HOUR + 20_000;
        rows.push({ channel: 'flow', unit: 'L/s', r: { ts, value: 10 + (o % 7), quality: 'good' } });
        rows.push({ channel: 'totalizer', unit: 'm3', r: { ts, value: 1000 + 36 * h, quality: 'good' } });
        rows.push({ channel: 'level', unit: 'm', r: { ts, value: 31.25, quality: 'good' } });
      }
      await records.addGateway(`gw-${o + 1}`, 'sealed', clock.now());
      await ingest(records, `gw-${o + 1}`, rows, clock.now());
    }
    await engine.start();
    const d0 = performance.now();
    const first = await engine.tick();
    const deriveMs = performance.now() - d0;
    const pending = first.ran ? first.obras.reduce((s, o) => s + o.derived - o.missing, 0) : 0;
    out(`derivation tick (no credentials yet): ${fmt(pending)} slots pending in ${fmt(deriveMs / 1000, 2)} s`);
    const c0 = performance.now();
    for (const o of obras) await engine.setCredentials(String(o['code']), CREDENTIALS);
    out(`credentials set for ${fmt(SEND_OBRAS)} obras (encrypted) in ${fmt((performance.now() - c0) / 1000, 2)} s`);

    const tickMs: number[] = [];
    const outcomes = new Map<string, number>();
    let sent = 0;
    for (let t = 0; t <= BACKLOG; t++) {
      if (t > 0) clock.t += SPACING_MS;
      const s0 = performance.now();
      const report = await engine.tick();
      const ms = performance.now() - s0;
      if (!report.ran) throw new Error(`tick did not run: ${report.reason}`);
      let n = 0;
      for (const o of report.obras) {
        const key = o.send.result === 'sent' ? `sent:${o.send.outcome}` : o.send.result;
        outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
        if (o.send.result === 'sent') n++;
      }
      if (n > 0) tickMs.push(ms);
      sent += n;
      out(
        `  tick ${t + 1} at +${(t * SPACING_MS) / MINUTE} min (clock): ${fmt(n)} sends in ${fmt(ms / 1000, 2)} s${n > 0 ? ` → ${fmt(n / (ms / 1000))} sends/s` : ''}`,
      );
      // An extra tick at the same clock instant must send nothing: the spacing holds.
      if (t === 0) {
        const again = await engine.tick();
        const extra = again.ran ? again.obras.filter((o) => o.send.result === 'sent').length : -1;
        out(`  immediate re-tick at the same clock instant: ${extra} sends (spacing)`);
      }
    }
    const sendMs = tickMs.reduce((a, b) => a + b, 0);
    const rate = sent / (sendMs / 1000);
    const requests = sim.requests();
    const posts = requests.filter((r) => r.method === 'POST');
    const byOutcome = new Map<string, number>();
    for (const r of posts) byOutcome.set(r.outcome, (byOutcome.get(r.outcome) ?? 0) + 1);
    let held = 0;
    let wrongCount = 0;
    let minGapMs = Number.POSITIVE_INFINITY;
    for (const o of obras) {
      const m = sim.measurements(String(o['code']));
      held += m.length;
      if (m.length !== BACKLOG || new Set(m.map((x) => `${x.fechaMedicion} ${x.horaMedicion}`)).size !== m.length) wrongCount++;
      for (let i = 1; i < m.length; i++) minGapMs = Math.min(minGapMs, m[i]!.receivedAt - m[i - 1]!.receivedAt);
    }
    out(`engine outcomes: ${[...outcomes].map(([k, v]) => `${k} ${fmt(v)}`).join(', ')}`);
    out(
      `double: ${fmt(posts.length)} requests (${[...byOutcome].map(([k, v]) => `${k} ${fmt(v)}`).join(', ')}); holds ${fmt(held)} measurements, obras not holding exactly their ${BACKLOG} distinct slots: ${wrongCount}; least gap between one obra's sends ${fmt(minGapMs / MINUTE, 1)} min (clock)`,
    );
    out(`real-time rate: ${fmt(sent)} sends in ${fmt(sendMs / 1000, 1)} s of ticks → ${fmt(rate, 1)} sends/s = ${fmt(rate * 3600)} sends/h of wall time`);
    const worst = Math.max(...tickMs) / 1000;
    const ruleCap = SEND_OBRAS * (HOUR / SPACING_MS);
    const tickCap = Math.min(60, 3600 / worst);
    out(
      `a tick sending to all ${fmt(SEND_OBRAS)} obras takes ≤ ${fmt(worst, 1)} s (schedule: every 60 s) → up to ${fmt(tickCap, 1)} ticks/h × ${fmt(SEND_OBRAS)} obras; spacing caps each obra at ${HOUR / SPACING_MS}/h`,
    );
    out(
      `implied capacity: ${fmt(Math.min(ruleCap, rate * 3600))} sends/h for ${fmt(SEND_OBRAS)} obras (rule cap ${fmt(ruleCap)}/h, wall-time cap ${fmt(rate * 3600)}/h) vs ${fmt(SEND_OBRAS)}/h needed by the hourly standard → ${fmt(Math.min(ruleCap, rate * 3600) / SEND_OBRAS, 1)}× headroom`,
    );
  } finally {
    await engine?.stop();
    await queue.stop();
    await records.stop();
    await sim.stop();
  }
}

out('DGA reporting bench');
out(machineLine());
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atalaya-bench-dga-'));
// `--only stored` (or pure, sends) runs one part: the before/after figure of the stored derivation alone.
const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : undefined;
try {
  if (only === undefined || only === 'pure') pureDerivation();
  if (only === undefined || only === 'stored') await storedDerivation(dir);
  if (only === undefined || only === 'sends') await sends(dir);
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
