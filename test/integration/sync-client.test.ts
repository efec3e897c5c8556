import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RecordBuffer } from '../../agent/buffer/buffer.ts';
import type { SyncClientConfig } from '../../agent/sync/client.ts';
import { SyncClient } from '../../agent/sync/client.ts';
import { systemClock } from '../../protocols/clock.ts';
import type { NewRecord, StoredRecord } from '../../protocols/records.ts';
import { PRIORITY } from '../../protocols/records.ts';
import { decodeBatch } from '../../protocols/sync/batch.ts';
import { SIGNATURE_HEADERS, verifyRequest } from '../../protocols/sync/signature.ts';
import { waitFor } from '../helpers/wait.ts';

const GATEWAY = 'gw-it';
const SECRET = Buffer.alloc(32, 3);
const BOOT = 'b0a1c2d3-0000-4000-8000-0000000000aa';

/** What the fake relay does with a request: the relay's failure modes (cloud/ plays them for real later). */
type Step = 'ok' | 'unavailable' | 'late' | 'reset' | 'conflict';

/**
 * A small relay on port 0: checks the signature, decodes the batch, stores records by seq (an
 * identical resend is a duplicate, a different one a violation), and at every request checks the
 * agent still holds each record it sends, i.e. nothing was released before its 200.
 */
class TestRelay {
  readonly stored = new Map<number, StoredRecord>();
  readonly steps: Step[] = [];
  /** Seqs of each decoded batch, in the order sent. */
  readonly batches: number[][] = [];
  readonly violations: string[] = [];
  script: Step[] = [];
  /** How long a 'late' answer waits after the commit, ms. */
  lateMs = 0;
  private server: http.Server | undefined;

  constructor(private readonly buffer: RecordBuffer) {}

  async listen(port = 0): Promise<number> {
    const server = http.createServer((req, res) => this.handle(req, res));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    return (server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server === undefined) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const step = this.script.shift() ?? 'ok';
    this.steps.push(step);
    if (step === 'reset') {
      // Mid-request: part of the body has arrived, the connection is cut without an answer.
      req.once('data', () => req.socket.destroy());
      return;
    }
    const reply: Exclude<Step, 'reset'> = step;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const h = (name: string): string => String(req.headers[name] ?? '');
      const signed = {
        method: req.method ?? '',
        path: req.url ?? '',
        timestamp: Number(h(SIGNATURE_HEADERS.timestamp)),
        nonce: h(SIGNATURE_HEADERS.nonce),
        body,
        secret: SECRET,
      };
      if (!verifyRequest({ ...signed, signature: h(SIGNATURE_HEADERS.signature) })) {
        this.violations.push('bad signature');
        return answer(res, 401, { error: 'unauthenticated', message: 'bad signature' });
      }
      const records = decodeBatch(body).records;
      this.batches.push(records.map((r) => r.seq));
      for (const r of records) {
        if (this.buffer.readAfter(r.seq - 1, 1)[0]?.seq !== r.seq) this.violations.push(`seq ${r.seq} sent but no longer in the buffer`);
      }
      switch (reply) {
        case 'unavailable':
          return answer(res, 503, { error: 'unavailable', message: 'database down' });
        case 'conflict':
          return answer(res, 409, { error: 'conflict', message: 'integrity', seqs: [records[0]?.seq] });
        case 'ok':
        case 'late': {
          let duplicates = 0;
          for (const r of records) {
            const held = this.stored.get(r.seq);
            if (held === undefined) this.stored.set(r.seq, r);
            else if (JSON.stringify(held) === JSON.stringify(r)) duplicates++;
            else this.violations.push(`seq ${r.seq} resent with other content`);
          }
          const seqs = records.map((r) => r.seq);
          const ack = {
            gateway: GATEWAY,
            stored: records.length - duplicates,
            duplicates,
            acknowledged: seqs.map((s) => [s, s]),
            highestSeq: Math.max(...this.stored.keys()),
            relayTime: Date.now(),
          };
          // 'late': committed, but the answer comes after the agent gave up (a lost ack).
          if (step === 'late') setTimeout(() => answer(res, 200, ack), this.lateMs);
          else answer(res, 200, ack);
        }
      }
    });
  }
}

function answer(res: http.ServerResponse, status: number, json: unknown): void {
  if (res.destroyed) return;
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(json));
}

function reading(i: number): NewRecord {
  const alarm = i % 25 === 7;
  return {
    kind: alarm ? 'alarm' : 'reading',
    device: `gas-${i % 3}`,
    channel: 'ch4',
    value: i === 11 ? null : i * 0.5,
    unit: '%LEL',
    quality: i === 11 ? 'comm_error' : 'good',
    exception: null,
    ts: 1_750_000_000_000 + i * 1000,
    mono: 60_000 + i * 1000,
    bootId: BOOT,
    priority: alarm ? PRIORITY.alarm : PRIORITY.ordinary,
    flags: 0,
    ...(alarm ? { alarm: { rule: 'high1', level: 'alarm' as const, state: 'raised' as const, threshold: 20 } } : {}),
  };
}

let dir: string;
let buffer: RecordBuffer;
let relay: TestRelay;
let sync: SyncClient | undefined;
let logLines: Array<{ failure?: string; msg?: string }>;

const logger = pino(
  { level: 'debug' },
  new Writable({
    write(chunk: Buffer, _enc, done): void {
      logLines.push(JSON.parse(chunk.toString()) as { failure?: string });
      done();
    },
  }),
);

/** Each failed attempt is logged once with its failure code (warn on a change, debug on a repeat). */
const failures = (): string[] => logLines.flatMap((l) => (l.failure === undefined ? [] : [l.failure]));

function startSync(port: number, config: Partial<SyncClientConfig> = {}): SyncClient {
  sync = new SyncClient({
    config: {
      url: `http://127.0.0.1:${port}`,
      batchRecords: 40,
      batchBytes: 1_048_576,
      timeoutMs: 5000,
      idleMs: 50,
      backoff: { initialMs: 20, maxMs: 200, factor: 2, jitter: 0.2 },
      ...config,
    },
    gatewayId: GATEWAY,
    secret: SECRET,
    buffer,
    clock: systemClock,
    bootId: BOOT,
    clockSynced: () => true,
    logger,
  });
  sync.start();
  return sync;
}

/** 100 records with alarms among them, as the buffer holds them. */
async function fill(): Promise<StoredRecord[]> {
  await buffer.append(Array.from({ length: 100 }, (_, i) => reading(i)));
  return buffer.readAfter(0, 1000);
}

async function drained(): Promise<void> {
  await waitFor(() => buffer.stats().count === 0, 'every record acknowledged and released');
}

function expectDeliveredExactly(expected: readonly StoredRecord[]): void {
  expect(relay.violations).toEqual([]);
  expect([...relay.stored.values()].sort((a, b) => a.seq - b.seq)).toEqual(expected);
  expect(sync?.status()).toMatchObject({ sentRecords: expected.length, lagRecords: 0, lastError: null, consecutiveFailures: 0 });
}

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atalaya-'));
  logLines = [];
  buffer = new RecordBuffer({ path: path.join(dir, 'buffer.db'), commitIntervalMs: 0, clock: systemClock, logger: pino({ level: 'silent' }) });
  buffer.start();
  relay = new TestRelay(buffer);
});

afterEach(async () => {
  await sync?.stop();
  sync = undefined;
  await relay.close();
  await buffer.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('SyncClient against a relay that fails', () => {
  it('503 three times, then 200: retried with backoff, every record delivered once', async () => {
    const expected = await fill();
    relay.script = ['unavailable', 'unavailable', 'unavailable'];
    startSync(await relay.listen());
    await drained();
    expect(relay.steps.slice(0, 4)).toEqual(['unavailable', 'unavailable', 'unavailable', 'ok']);
    expect(failures()).toEqual(['server_error', 'server_error', 'server_error']);
    expectDeliveredExactly(expected);
  });

  it('an answer later than timeoutMs: the agent gives up, resends, the relay dedups', async () => {
    const expected = await fill();
    relay.script = ['late'];
    relay.lateMs = 1000;
    startSync(await relay.listen(), { timeoutMs: 300 });
    await drained();
    expect(failures()[0]).toBe('timeout');
    expectDeliveredExactly(expected);
  });

  it('a connection reset mid-request is retried', async () => {
    const expected = await fill();
    relay.script = ['reset', 'reset'];
    startSync(await relay.listen());
    await drained();
    expect(failures()).toEqual(['connection_reset', 'connection_reset']);
    expectDeliveredExactly(expected);
  });

  it('a relay that is down (connection refused) and comes back on its port', async () => {
    const expected = await fill();
    const port = await relay.listen();
    await relay.close();
    startSync(port);
    await waitFor(() => failures().length >= 3, 'three refused attempts');
    expect(buffer.stats().count).toBe(expected.length);
    await relay.listen(port);
    await drained();
    expect(new Set(failures())).toEqual(new Set(['connection_refused']));
    expectDeliveredExactly(expected);
  });

  it('409 conflict: refused and kept at the longest backoff, delivered once the relay accepts', async () => {
    const expected = await fill();
    relay.script = ['conflict'];
    startSync(await relay.listen());
    await drained();
    expect(failures()).toEqual(['conflict']);
    expect(logLines.some((l) => l.failure === 'conflict' && (l as { level?: number }).level === 50)).toBe(true);
    expectDeliveredExactly(expected);
  });

  it('sends alarms ahead of the readings backlog, and records committed later too', async () => {
    const expected = await fill();
    const alarms = expected.filter((r) => r.kind === 'alarm').map((r) => r.seq);
    const readings = expected.filter((r) => r.kind === 'reading').map((r) => r.seq);
    startSync(await relay.listen());
    await drained();
    expect(alarms).toHaveLength(4);
    expect(relay.batches.slice(0, 3)).toEqual([[...alarms, ...readings.slice(0, 36)], readings.slice(36, 76), readings.slice(76)]);
    const more = await buffer.append([reading(107), reading(108)]);
    await drained();
    expect(relay.violations).toEqual([]);
    expect([...relay.stored.keys()].sort((a, b) => a - b)).toEqual([...expected.map((r) => r.seq), ...more]);
  });
});
