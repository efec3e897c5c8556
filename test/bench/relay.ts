/**
 * Relay throughput: a real agent buffer and SyncClient draining into a real relay process over
 * loopback (SQLite and PostgreSQL), the drain of a 1,000,000-reading backlog, and 100 gateways
 * posting signed batches at once. Targets: ≥ 100,000 readings/s into the relay, ≤ 16 bytes per
 * reading on the wire (the predecessor aimed at 100,000 readings per hour). Prints, asserts nothing.
 * The relay runs as its own process (`atalaya relay`), so its CPU and RSS are its own.
 * Run: node bin/run-ts.mjs test/bench/relay.ts [--cpu-prof DIR] [--only concurrent]   (DIR: a .cpuprofile per relay)
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import type { Dispatcher } from 'undici';
import { Agent, request } from 'undici';
import { RecordBuffer } from '../../agent/buffer/buffer.ts';
import { SyncClient } from '../../agent/sync/client.ts';
import { GatewaySecrets } from '../../cloud/ingest/gateway-secrets.ts';
import { newRelayKey, parseRelayKey } from '../../cloud/secrets.ts';
import type { StoreConfig } from '../../cloud/store/index.ts';
import { createStore } from '../../cloud/store/index.ts';
import { systemClock } from '../../protocols/clock.ts';
import type { NewRecord, StoredRecord } from '../../protocols/records.ts';
import { encodeBatch } from '../../protocols/sync/batch.ts';
import { newNonce, SIGNATURE_HEADERS, secretBytes, signRequest } from '../../protocols/sync/signature.ts';
import { INGEST_PATH } from '../../protocols/sync/types.ts';
import type { TestPostgres } from '../helpers/postgres.ts';
import { startPostgres } from '../helpers/postgres.ts';
import { fmt, machineLine, out, procUsage } from './common.ts';
import { ceilingRows, postgresCeiling, sqliteCeiling } from './relay-ceiling.ts';
import { realisticRecords } from './sync-wire.ts';

const E2E_RECORDS = 500_000;
const BACKLOG_RECORDS = 1_000_000;
const GATEWAYS = 100;
const RECORDS_PER_POST = 1000;
/** Batches pre-encoded per simulated gateway (encoding runs at ~140,000 readings/s: 600,000 take ~4 s). */
const POSTS_PER_GATEWAY = 6;
const CONCURRENT_SECONDS = 10;
const DRAIN_DEADLINE_MS = 180_000;
const BOOT_ID = '5f1c3b1e-0d6e-4a43-9f0e-1d2c3b4a5e6f';
const silent = pino({ level: 'silent' });
/** The parent's environment without relay settings that would change what is measured. */
const childEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('ATALAYA_')));

const cleanups: Array<() => Promise<void> | void> = [];
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const tempDir = (prefix: string): string => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
};

interface RelayProcess {
  readonly url: string;
  readonly pid: number;
  stop(): Promise<void>;
}

/** Registers gateways in the store the relay will open, as `atalaya relay gateway add` does; returns their HMAC keys. */
async function provision(storage: StoreConfig, key: string, ids: readonly string[]): Promise<Map<string, Buffer>> {
  const store = createStore(storage, silent);
  await store.start();
  try {
    const secrets = new GatewaySecrets({ store, key: parseRelayKey(key, 'bench'), logger: silent });
    const keys = new Map<string, Buffer>();
    for (const id of ids) keys.set(id, secretBytes(await secrets.provision(id, Date.now())));
    return keys;
  } finally {
    await store.stop();
  }
}

/** `atalaya relay -c …` with its JSON log in a file (a pipe we drain late could block it); port from its "relay listening" line. */
async function startRelay(dir: string, storage: StoreConfig, key: string, profileDir: string | undefined): Promise<RelayProcess> {
  const config = path.join(dir, 'relay.yaml');
  fs.writeFileSync(config, `listen: {host: 127.0.0.1, port: 0, maxConnectionsPerAddress: 1000}\nstorage: ${JSON.stringify(storage)}\nlog: {level: info}\n`);
  const logFile = path.join(dir, 'relay.log');
  const fd = fs.openSync(logFile, 'w');
  const profile = profileDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${profileDir}`];
  const child = spawn(process.execPath, [...profile, path.resolve('bin/atalaya.mjs'), 'relay', '-c', config], {
    stdio: ['ignore', fd, fd],
    env: { ...childEnv, ATALAYA_RELAY_KEY: key },
  });
  fs.closeSync(fd);
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };
  cleanups.push(stop);
  const deadline = Date.now() + 30_000;
  for (;;) {
    const line = fs
      .readFileSync(logFile, 'utf8')
      .split('\n')
      .find((l) => l.includes('"msg":"relay listening"'));
    if (line !== undefined) {
      const { port } = JSON.parse(line) as { port: number };
      return { url: `http://127.0.0.1:${port}`, pid: child.pid!, stop };
    }
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`relay did not start:\n${fs.readFileSync(logFile, 'utf8')}`);
    await sleep(20);
  }
}

/** The sync-wire fleet (6 devices, 56 channels at 1 Hz), in capture order, with timestamps ending a minute ago (the buffer evicts records older than 30 days). */
function fleetRecords(total: number): StoredRecord[] {
  const records = realisticRecords(total).sort((a, b) => a.seq - b.seq);
  const first = records[0]?.ts ?? 0;
  const shift = Date.now() - 60_000 - ((records.at(-1)?.ts ?? first) - first) - first;
  return records.map((r) => ({ ...r, ts: r.ts + shift }));
}

async function fillBuffer(file: string, records: readonly StoredRecord[]): Promise<void> {
  const buffer = new RecordBuffer({ path: file, clock: systemClock, logger: silent, commitIntervalMs: 0, maxBytes: 2 ** 30 });
  buffer.start();
  for (let i = 0; i < records.length; i += 5000) await buffer.append(records.slice(i, i + 5000).map(({ seq: _seq, ...r }): NewRecord => r));
  // Closing checkpoints the WAL into the file, so the file alone can be copied.
  await buffer.stop();
}

interface Drain {
  readonly records: number;
  readonly seconds: number;
  readonly requests: number;
  readonly bodyBytes: number;
  readonly sentBytes: number;
  readonly agentCpu: number;
  readonly relayCpu: number;
  readonly relayPeakRss: number;
  readonly errors: ReadonlySet<string>;
}

/** A copy of `template` drained by a SyncClient in this process: start until the buffer is empty. */
async function drain(template: string, relay: RelayProcess, gateway: string, secret: Buffer, batch: { records: number; bytes: number }): Promise<Drain> {
  const dir = tempDir('atalaya-bench-agent-');
  const file = path.join(dir, 'buffer.db');
  fs.copyFileSync(template, file);
  const buffer = new RecordBuffer({ path: file, clock: systemClock, logger: silent, maxBytes: 2 ** 30 });
  buffer.start();
  const records = buffer.stats().count;
  let requests = 0;
  let bodyBytes = 0;
  const agent = new Agent();
  // Counts every attempt's body, acknowledged or not.
  const dispatcher = agent.compose((dispatch) => (opts: Dispatcher.DispatchOptions, handler) => {
    requests++;
    if (opts.body instanceof Uint8Array) bodyBytes += opts.body.byteLength;
    return dispatch(opts, handler);
  });
  const client = new SyncClient({
    config: {
      url: relay.url,
      batchRecords: batch.records,
      batchBytes: batch.bytes,
      timeoutMs: 60_000,
      idleMs: 1000,
      backoff: { initialMs: 100, maxMs: 2000, factor: 2, jitter: 0.2 },
    },
    gatewayId: gateway,
    secret,
    buffer,
    clock: systemClock,
    bootId: BOOT_ID,
    clockSynced: () => true,
    logger: silent,
    dispatcher,
  });
  const errors = new Set<string>();
  try {
    const relay0 = procUsage(relay.pid);
    let peak = relay0.rssBytes;
    const cpu0 = process.cpuUsage();
    const started = performance.now();
    client.start();
    for (let polls = 0; buffer.stats().count > 0; polls++) {
      if (performance.now() - started > DRAIN_DEADLINE_MS)
        throw new Error(`drain not finished after ${DRAIN_DEADLINE_MS / 1000} s: ${JSON.stringify(client.status())}`);
      const error = client.status().lastError;
      if (error !== null) errors.add(error);
      if (polls % 10 === 0) peak = Math.max(peak, procUsage(relay.pid).rssBytes);
      await sleep(5);
    }
    const seconds = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const relay1 = procUsage(relay.pid);
    const { sentBytes } = client.status();
    return {
      records,
      seconds,
      requests,
      bodyBytes,
      sentBytes,
      errors,
      agentCpu: (cpu.user + cpu.system) / 1e6,
      relayCpu: relay1.cpuSeconds - relay0.cpuSeconds,
      relayPeakRss: Math.max(peak, relay1.rssBytes),
    };
  } finally {
    await client.stop();
    await buffer.stop();
    await agent.close();
  }
}

function printDrain(label: string, d: Drain, batchRecords: number): void {
  out(
    `  ${label}: ${fmt(d.records)} records in ${fmt(d.seconds, 2)} s = ${fmt(d.records / d.seconds)} records/s; ` +
      `batchRecords ${fmt(batchRecords)}, ${fmt(d.requests)} requests (${fmt(d.records / d.requests)} records each); ` +
      `${fmt(d.bodyBytes / d.records, 2)} body bytes/record on the wire (acknowledged gzip: ${fmt(d.sentBytes / d.records, 2)})`,
  );
  out(
    `    CPU: relay ${fmt(d.relayCpu, 1)} s (${fmt((d.relayCpu / d.seconds) * 100)} % of a core), agent sync ${fmt(d.agentCpu, 1)} s (${fmt((d.agentCpu / d.seconds) * 100)} %); ` +
      `relay peak RSS ${fmt(d.relayPeakRss / 2 ** 20, 1)} MiB${d.errors.size > 0 ? `; failed attempts seen: ${[...d.errors].join(', ')}` : ''}`,
  );
}

/** `POSTS_PER_GATEWAY` batches of 1000 fleet readings, seqs ascending across them. */
function postSlices(): StoredRecord[][] {
  const readings = fleetRecords(Math.ceil(POSTS_PER_GATEWAY * RECORDS_PER_POST * 1.01)).filter((r) => r.kind === 'reading');
  return Array.from({ length: POSTS_PER_GATEWAY }, (_, k) => readings.slice(k * RECORDS_PER_POST, (k + 1) * RECORDS_PER_POST));
}

/** One gzip body per slice per gateway. */
function encodeBodies(ids: readonly string[], slices: readonly StoredRecord[][]): Map<string, Buffer[]> {
  return new Map(
    ids.map((gateway) => [
      gateway,
      slices.map((records) => {
        const last = records.at(-1)!;
        return encodeBatch({ gateway, sentAt: last.ts + 250, mono: last.mono + 250, bootId: BOOT_ID, clockSynced: true, records });
      }),
    ]),
  );
}

/** One simulated gateway: its bodies one after another on its own connection, each signed anew (fresh timestamp and nonce), until `deadline`. */
async function postAll(
  url: string,
  gateway: string,
  secret: Buffer,
  bodies: readonly Buffer[],
  deadline: number,
  answered: (status: number) => void,
): Promise<void> {
  const dispatcher = new Agent({ connections: 1, keepAliveTimeout: 60_000 });
  try {
    for (const body of bodies) {
      if (performance.now() > deadline) break;
      const timestamp = Date.now();
      const nonce = newNonce();
      const signature = signRequest({ method: 'POST', path: INGEST_PATH, timestamp, nonce, body, secret });
      const headers = {
        'content-type': 'application/octet-stream',
        [SIGNATURE_HEADERS.gateway]: gateway,
        [SIGNATURE_HEADERS.timestamp]: String(timestamp),
        [SIGNATURE_HEADERS.nonce]: nonce,
        [SIGNATURE_HEADERS.signature]: signature,
      };
      const res = await request(url + INGEST_PATH, { dispatcher, method: 'POST', body, headers });
      await res.body.dump();
      answered(res.statusCode);
    }
  } finally {
    await dispatcher.close();
  }
}

/** Every gateway at once, for up to CONCURRENT_SECONDS: stored readings/s, requests/s, the relay's peak RSS. */
async function concurrentIngest(label: string, relay: RelayProcess, keys: Map<string, Buffer>, bodies: Map<string, Buffer[]>): Promise<number> {
  const statuses = new Map<number, number>();
  const relay0 = procUsage(relay.pid);
  let peak = relay0.rssBytes;
  const sampler = setInterval(() => (peak = Math.max(peak, procUsage(relay.pid).rssBytes)), 50);
  const cpu0 = process.cpuUsage();
  const started = performance.now();
  try {
    const deadline = started + CONCURRENT_SECONDS * 1000;
    const count = (status: number): void => void statuses.set(status, (statuses.get(status) ?? 0) + 1);
    await Promise.all([...bodies].map(([gateway, list]) => postAll(relay.url, gateway, keys.get(gateway)!, list, deadline, count)));
  } finally {
    clearInterval(sampler);
  }
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const relay1 = procUsage(relay.pid);
  const relayCpu = relay1.cpuSeconds - relay0.cpuSeconds;
  const posts = [...statuses.values()].reduce((a, b) => a + b, 0);
  const stored = (statuses.get(200) ?? 0) * RECORDS_PER_POST;
  const answers = [...statuses].map(([s, n]) => `${fmt(n)}× ${s}`).join(', ');
  out(
    `  ${label}: ${fmt(stored / seconds)} readings/s stored, ${fmt(posts / seconds, 1)} requests/s (${fmt(stored)} readings in ${fmt(seconds, 2)} s; answers ${answers}); ` +
      `relay peak RSS ${fmt(Math.max(peak, relay1.rssBytes) / 2 ** 20, 1)} MiB (${fmt(relay0.rssBytes / 2 ** 20, 1)} MiB before)`,
  );
  // Per CPU-second of the relay process: the figure that holds when other load takes the cores.
  out(
    `    CPU: relay ${fmt(relayCpu, 1)} s (${fmt((relayCpu / seconds) * 100)} % of a core; ${fmt(stored / relayCpu)} readings per relay CPU-second), ` +
      `clients ${fmt(((cpu.user + cpu.system) / 1e6 / seconds) * 100)} % of a core`,
  );
  return stored / seconds;
}

const ratio = (relay: number, ceiling: number): string => `relay ÷ ceiling ${fmt(relay / ceiling, 2)}`;

async function main(profileDir: string | undefined, only: string | undefined): Promise<void> {
  out(machineLine());
  // The figures share two cores with whatever else runs: a busy machine shows here.
  out(
    `load average at start: ${os
      .loadavg()
      .map((l) => fmt(l, 2))
      .join(', ')} (1, 5, 15 min)`,
  );
  const key = newRelayKey();

  const pg: TestPostgres = await startPostgres();
  cleanups.push(() => pg.stop());
  const sqlite = (name: string): StoreConfig => ({ kind: 'sqlite', path: path.join(tempDir(`atalaya-bench-${name}-`), 'relay.db'), synchronous: 'full' });
  const postgres = async (): Promise<StoreConfig> => ({ kind: 'postgres', url: await pg.newDatabase(), maxConnections: 10 });

  /** A fresh relay on `storage` with the gateways registered; stopped afterwards. */
  const withRelay = async <T>(
    storage: StoreConfig,
    ids: readonly string[],
    run: (relay: RelayProcess, keys: Map<string, Buffer>) => Promise<T>,
  ): Promise<T> => {
    const keys = await provision(storage, key, ids);
    const relay = await startRelay(tempDir('atalaya-bench-relayproc-'), storage, key, profileDir);
    try {
      return await run(relay, keys);
    } finally {
      await relay.stop();
    }
  };
  if (only !== 'concurrent') await drains(withRelay, sqlite, postgres);

  const ids = Array.from({ length: GATEWAYS }, (_, i) => `gw-${String(i).padStart(3, '0')}`);
  const slices = postSlices();
  const bodies = encodeBodies(ids, slices);
  const received = Date.now();
  const rows = ids.flatMap((id) => slices.map((records) => ceilingRows(id, records, received)));
  out(
    `${GATEWAYS} concurrent gateways, one connection each, posting signed pre-encoded ${fmt(RECORDS_PER_POST)}-reading batches back to back (≤ ${POSTS_PER_GATEWAY} each, ≤ ${CONCURRENT_SECONDS} s)`,
  );
  const liteRelay = await withRelay(sqlite('concurrent'), ids, (relay, keys) => concurrentIngest('SQLite relay (synchronous=full)', relay, keys, bodies));
  const liteCeiling = await sqliteCeiling(path.join(tempDir('atalaya-bench-ceiling-'), 'relay.db'), rows);
  out(
    `  SQLite ceiling, bare batched INSERT of the same ${fmt(rows.length * RECORDS_PER_POST)} rows into the same table (1,000 per transaction, synchronous=full): ${fmt(liteCeiling)} rows/s; ${ratio(liteRelay, liteCeiling)}`,
  );
  const pgRelay = await withRelay(await postgres(), ids, (relay, keys) =>
    concurrentIngest('PostgreSQL relay (fsync=off, 10 connections)', relay, keys, bodies),
  );
  const pgCeiling = await postgresCeiling(await pg.newDatabase(), rows, 10);
  out(
    `  PostgreSQL ceiling, bare COPY of the same rows into the same table on the same cluster (1,000 per COPY, 10 connections): ${fmt(pgCeiling)} rows/s; ${ratio(pgRelay, pgCeiling)}`,
  );
  if (profileDir !== undefined) out(`relay CPU profiles (one per relay process and thread, in run order): ${profileDir}`);
}

type WithRelay = <T>(storage: StoreConfig, ids: readonly string[], run: (relay: RelayProcess, keys: Map<string, Buffer>) => Promise<T>) => Promise<T>;

/** The end-to-end drain and the backlog drains. */
async function drains(withRelay: WithRelay, sqlite: (name: string) => StoreConfig, postgres: () => Promise<StoreConfig>): Promise<void> {
  const work = tempDir('atalaya-bench-relay-');
  // One generation, two buffer files: the first 500,000 records, and all 1,000,000.
  const fleet = fleetRecords(BACKLOG_RECORDS);
  const half = path.join(work, 'buffer-500k.db');
  const full = path.join(work, 'buffer-1m.db');
  await fillBuffer(half, fleet.slice(0, E2E_RECORDS));
  fs.copyFileSync(half, full);
  await fillBuffer(full, fleet.slice(E2E_RECORDS));
  fleet.length = 0;

  const drainInto = (storage: StoreConfig, template: string, batch: { records: number; bytes: number }): Promise<Drain> =>
    withRelay(storage, ['bench-gw'], (relay, keys) => drain(template, relay, 'bench-gw', keys.get('bench-gw')!, batch));
  const defaults = { records: 5000, bytes: 1_048_576 };
  // 10,000 records estimate at ~1.4 MB (estimateRecordBytes ≈ 138): batchBytes raised so batchRecords is the limit.
  const max = { records: 10_000, bytes: 4 * 1_048_576 };

  out(
    `end to end: RecordBuffer pre-filled with ${fmt(E2E_RECORDS)} readings (6 devices, 56 channels at 1 Hz), in-process SyncClient → relay process over loopback; start → buffer empty`,
  );
  printDrain('SQLite relay (synchronous=full)', await drainInto(sqlite('e2e'), half, defaults), defaults.records);
  printDrain('PostgreSQL relay (throwaway cluster, fsync=off)', await drainInto(await postgres(), half, defaults), defaults.records);

  out(`backlog after an outage: ${fmt(BACKLOG_RECORDS)} readings buffered, SQLite relay (synchronous=full); time to drain`);
  printDrain('default batch', await drainInto(sqlite('backlog'), full, defaults), defaults.records);
  printDrain('largest batch', await drainInto(sqlite('backlog-max'), full, max), max.records);
}

async function cleanup(): Promise<void> {
  // Reverse order: relays before the database and directories they use.
  for (const step of cleanups.splice(0).reverse()) await (async () => step())().catch((err: unknown) => process.stderr.write(`cleanup: ${String(err)}\n`));
}

const { values } = parseArgs({ options: { 'cpu-prof': { type: 'string' }, only: { type: 'string' } } });
const profileDir = values['cpu-prof'] === undefined ? undefined : path.resolve(values['cpu-prof']);
if (profileDir !== undefined) fs.mkdirSync(profileDir, { recursive: true });
process.once('SIGINT', () => void cleanup().finally(() => process.exit(130)));
try {
  await main(profileDir, values.only);
} catch (err) {
  process.stderr.write(`${String(err instanceof Error ? err.stack : err)}\n`);
  process.exitCode = 1;
} finally {
  await cleanup();
}
