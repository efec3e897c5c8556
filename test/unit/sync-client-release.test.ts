import { MockAgent } from 'undici';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { SyncBuffer } from '../../agent/sync/batcher.ts';
import { SyncClient } from '../../agent/sync/client.ts';
import type { Clock } from '../../protocols/clock.ts';
import type { RecordKind, StoredRecord } from '../../protocols/records.ts';
import { PRIORITY } from '../../protocols/records.ts';
import { decodeBatch } from '../../protocols/sync/batch.ts';
import type { SyncBatch } from '../../protocols/sync/types.ts';
import { testLogger } from '../helpers/logger.ts';

/**
 * Issue 19 item 5: when the buffer cannot record a release (disk full, I/O error), the batch was
 * treated as done and sent again at once, 15–19 requests a second, indefinitely. A failed release
 * is a failure: backoff, reported in status(), and nothing is resent until the release succeeds.
 */
const ORIGIN = 'http://relay.test';
const T0 = 1_750_000_000_000;
const clock: Clock = { now: () => Date.now(), monotonic: () => Date.now() - T0 + 10_000 };

function rec(seq: number): StoredRecord {
  return {
    seq,
    kind: 'reading',
    device: 'gas-1',
    channel: 'ch4',
    value: seq,
    unit: '%LEL',
    quality: 'good',
    exception: null,
    ts: T0 + seq,
    mono: 5000 + seq,
    bootId: 'b0a1c2d3-0000-4000-8000-000000000001',
    priority: PRIORITY.ordinary,
    flags: 0,
  };
}

/** A buffer whose release fails like SQLite on a full disk, `failures` times. */
class FullDiskBuffer implements SyncBuffer {
  readonly rows = new Map<number, StoredRecord>();
  releaseCalls = 0;
  readonly protectedSeqs: number[] = [];
  constructor(private failures: number) {}
  readAfter(afterSeq: number, limit: number, kind?: RecordKind): StoredRecord[] {
    return [...this.rows.values()].filter((r) => r.seq > afterSeq && (kind === undefined || r.kind === kind)).slice(0, limit);
  }
  release(seqs: readonly number[]): number {
    this.releaseCalls++;
    if (this.failures > 0) {
      this.failures--;
      throw Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
    }
    return seqs.filter((s) => this.rows.delete(s)).length;
  }
  protect(records: readonly StoredRecord[]): void {
    this.protectedSeqs.push(...records.map((r) => r.seq));
  }
  quarantine(): number {
    return 0;
  }
  quarantined(): number {
    return 0;
  }
  stats(): { count: number } {
    return { count: this.rows.size };
  }
  on(): this {
    return this;
  }
  off(): this {
    return this;
  }
}

let mock: MockAgent;
let requests: SyncBatch[];
let client: SyncClient | undefined;

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'], now: T0 });
  requests = [];
  mock = new MockAgent();
  mock.disableNetConnect();
  mock
    .get(ORIGIN)
    .intercept({ path: '/v1/ingest', method: 'POST' })
    .reply((opts) => {
      const batch = decodeBatch(Buffer.from(opts.body as Uint8Array));
      requests.push(batch);
      const seqs = batch.records.map((r) => r.seq);
      const ack = {
        gateway: 'gw-01',
        stored: seqs.length,
        duplicates: 0,
        acknowledged: seqs.map((s) => [s, s]),
        highestSeq: Math.max(...seqs),
        relayTime: Date.now(),
      };
      return { statusCode: 200, data: JSON.stringify(ack) };
    })
    .persist();
});

afterEach(async () => {
  await client?.stop();
  client = undefined;
  await mock.close();
  vi.useRealTimers();
});

async function settle(): Promise<void> {
  for (let i = 0; i < 40; i++) {
    await vi.advanceTimersByTimeAsync(0);
    await new Promise((r) => setImmediate(r));
  }
}

function start(buffer: SyncBuffer): SyncClient {
  client = new SyncClient({
    config: {
      url: ORIGIN,
      batchRecords: 100,
      batchBytes: 1_048_576,
      timeoutMs: 5000,
      idleMs: 60_000,
      backoff: { initialMs: 1000, maxMs: 16_000, factor: 2, jitter: 0 },
    },
    gatewayId: 'gw-01',
    secret: Buffer.alloc(32, 7),
    buffer,
    clock,
    bootId: 'b0a1c2d3-0000-4000-8000-000000000001',
    clockSynced: () => true,
    logger: testLogger(),
    dispatcher: mock,
  });
  client.start();
  return client;
}

describe('SyncClient when the buffer cannot release an acknowledged batch', () => {
  it('backs off, reports the failure, and retries the release without resending', async () => {
    const buffer = new FullDiskBuffer(3);
    for (let seq = 1; seq <= 5; seq++) buffer.rows.set(seq, rec(seq));
    const sync = start(buffer);
    await settle();
    expect(requests).toHaveLength(1);
    expect(buffer.protectedSeqs).toEqual([1, 2, 3, 4, 5]);
    expect(sync.status()).toMatchObject({ state: 'backoff', lastError: 'buffer', consecutiveFailures: 1 });
    expect(sync.status().nextAttemptAt).toBe(Date.now() + 1000);

    // Exponential backoff between release attempts (1 s, 2 s, 4 s), and no request meanwhile.
    await vi.advanceTimersByTimeAsync(1000);
    await settle();
    expect(buffer.releaseCalls).toBe(2);
    expect(sync.status()).toMatchObject({ state: 'backoff', lastError: 'buffer', consecutiveFailures: 2 });
    await vi.advanceTimersByTimeAsync(2000);
    await settle();
    expect(buffer.releaseCalls).toBe(3);
    await vi.advanceTimersByTimeAsync(3999);
    await settle();
    expect(buffer.releaseCalls).toBe(3);
    expect(requests).toHaveLength(1);

    await vi.advanceTimersByTimeAsync(1);
    await settle();
    expect(buffer.releaseCalls).toBe(4);
    expect(buffer.rows.size).toBe(0);
    expect(requests).toHaveLength(1);
    expect(sync.status()).toMatchObject({ state: 'idle', lastError: null, consecutiveFailures: 0, sentRecords: 5 });
  });
});
