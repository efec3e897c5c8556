/**
 * The relay's own cost per reading outside the store (issue 18 §3): a POST /v1/ingest body taken
 * through the ingest path in this process, stage by stage, with a store that does nothing, so
 * what is left is the JavaScript every reading costs before PostgreSQL or SQLite see it. The
 * bodies are the relay bench's (relay.ts): 1,000 realistic readings each, signed, gzip.
 *
 * Stages: the signature check (HMAC over the body's sha256), the bounded inflate
 * (inflate-check.ts), decodeBatch, the per-record hash (one by one, and per batch as ingest
 * does), and the whole Ingestor.handle (all of them plus the nonce, seq window, relay records
 * and acknowledgement). CPU is the process's (zlib's thread pool included), per reading; the
 * median of ROUNDS rounds. Prints, asserts nothing.
 * Run: node bin/run-ts.mjs test/bench/relay-ingest-path.ts [rounds]
 */
import { performance } from 'node:perf_hooks';
import { pino } from 'pino';
import { authenticate, type SignedRequestChecks } from '../../cloud/ingest/authenticate.ts';
import type { GatewaySecrets } from '../../cloud/ingest/gateway-secrets.ts';
import { inflateChecked } from '../../cloud/ingest/inflate-check.ts';
import { type IngestLimits, Ingestor } from '../../cloud/ingest/ingest.ts';
import type { IngestInput, IngestOutcome, RelayStore } from '../../cloud/store/types.ts';
import type { Clock } from '../../protocols/clock.ts';
import type { StoredRecord } from '../../protocols/records.ts';
import { decodeBatch, encodeBatch } from '../../protocols/sync/batch.ts';
import { recordHash, recordHashes } from '../../protocols/sync/canonical.ts';
import { newNonce, SIGNATURE_HEADERS, signRequest } from '../../protocols/sync/signature.ts';
import { INGEST_PATH } from '../../protocols/sync/types.ts';
import { fmt, machineLine, out } from './common.ts';
import { realisticRecords } from './sync-wire.ts';

const RECORDS_PER_POST = 1000;
const BODIES = 200;
const ROUNDS = Number(process.argv[2] ?? 7);
const GATEWAY = 'gw-000';
const BOOT_ID = '5f1c3b1e-0d6e-4a43-9f0e-1d2c3b4a5e6f';
const SECRET = Buffer.alloc(32, 7);
const LIMITS: IngestLimits = {
  maxRecords: 10_000,
  maxInflatedBytes: 64 * 2 ** 20,
  skewMs: 300_000,
  maxDecodeBytesInFlight: 2 ** 30,
  maxSeqJump: 1e9,
  refusalLogIntervalMs: 10_000,
};

interface Request {
  readonly headers: Record<string, string>;
  readonly body: Buffer;
}

/** BODIES signed batches of RECORDS_PER_POST readings, seqs ascending across them, timestamps of now (within the skew window). */
function requests(): Request[] {
  const readings = realisticRecords(Math.ceil(BODIES * RECORDS_PER_POST * 1.01)).filter((r) => r.kind === 'reading');
  const shift = Date.now() - (readings.at(-1)?.ts ?? 0);
  return Array.from({ length: BODIES }, (_, k) => {
    const records: StoredRecord[] = readings.slice(k * RECORDS_PER_POST, (k + 1) * RECORDS_PER_POST).map((r) => ({ ...r, ts: r.ts + shift }));
    const last = records.at(-1)!;
    const body = encodeBatch({ gateway: GATEWAY, sentAt: last.ts + 250, mono: last.mono + 250, bootId: BOOT_ID, clockSynced: true, records });
    const timestamp = Date.now();
    const nonce = newNonce();
    const signature = signRequest({ method: 'POST', path: INGEST_PATH, timestamp, nonce, body, secret: SECRET });
    return {
      body,
      headers: {
        'content-type': 'application/octet-stream',
        [SIGNATURE_HEADERS.gateway]: GATEWAY,
        [SIGNATURE_HEADERS.timestamp]: String(timestamp),
        [SIGNATURE_HEADERS.nonce]: nonce,
        [SIGNATURE_HEADERS.signature]: signature,
      },
    };
  });
}

/** A store that keeps nothing: every batch new, every nonce fresh. */
function nullStore(): RelayStore {
  const ingest = async (input: IngestInput): Promise<IngestOutcome> => {
    let highestSeq = 0;
    for (const r of input.records) if (r.seq > highestSeq) highestSeq = r.seq;
    return { ok: true, stored: input.records.length, duplicates: 0, highestSeq };
  };
  return {
    claimNonce: async () => true,
    getGateway: async () => undefined,
    ingest,
  } as Partial<RelayStore> as RelayStore;
}

const secrets = { get: async (gateway: string) => (gateway === GATEWAY ? SECRET : undefined) } as unknown as GatewaySecrets;
const clock: Clock = { now: () => Date.now() } as Clock;

/** Median µs of CPU (process, all threads) and of wall time per reading of `round` over every request. */
async function measure(reqs: readonly Request[], round: (r: Request) => unknown): Promise<{ cpu: number; wall: number }> {
  const readings = reqs.length * RECORDS_PER_POST;
  const cpus: number[] = [];
  const walls: number[] = [];
  for (let k = 0; k < ROUNDS + 1; k++) {
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    for (const r of reqs) await round(r);
    const wall = ((performance.now() - t0) * 1000) / readings;
    const c = process.cpuUsage(cpu0);
    // Round 0 warms up.
    if (k === 0) continue;
    cpus.push((c.user + c.system) / readings);
    walls.push(wall);
  }
  const median = (xs: number[]): number => xs.sort((a, b) => a - b)[xs.length >> 1]!;
  return { cpu: median(cpus), wall: median(walls) };
}

async function main(): Promise<void> {
  out(machineLine());
  out(`relay ingest path, null store: ${BODIES} signed bodies of ${fmt(RECORDS_PER_POST)} readings, median of ${ROUNDS} rounds, µs per reading`);
  const reqs = requests();
  const checks: SignedRequestChecks = { secrets, store: nullStore(), clock, skewMs: LIMITS.skewMs };
  const decoded = reqs.map((r) => decodeBatch(r.body));
  const line = (label: string, m: { cpu: number; wall: number }): void =>
    out(`  ${label.padEnd(44)} ${fmt(m.cpu, 3).padStart(7)} µs CPU  ${fmt(m.wall, 3).padStart(7)} µs wall  (${fmt(1e6 / m.cpu)} readings per CPU-second)`);

  line('signature check (authenticate)', await measure(reqs, (r) => authenticate(checks, INGEST_PATH, r.headers, r.body)));
  line('bounded inflate (inflateChecked)', await measure(reqs, (r) => inflateChecked(r.body, LIMITS, GATEWAY)));
  line('decodeBatch', await measure(reqs, (r) => decodeBatch(r.body, LIMITS)));
  let k = 0;
  line(
    'record hash, one by one (recordHash)',
    await measure(reqs, () => {
      for (const rec of decoded[k++ % decoded.length]!.records) recordHash(GATEWAY, rec);
    }),
  );
  line('record hashes of a batch (recordHashes)', await measure(reqs, () => recordHashes(GATEWAY, decoded[k++ % decoded.length]!.records)));
  const ingestor = new Ingestor({ store: nullStore(), secrets, clock, limits: LIMITS, logger: pino({ level: 'info' }, { write: () => undefined }) });
  line('Ingestor.handle, whole (info logging on)', await measure(reqs, (r) => ingestor.handle(r.headers, r.body)));
}

await main();
