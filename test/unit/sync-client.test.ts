import { MockAgent } from 'undici';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Refused, SyncBuffer } from '../../agent/sync/batcher.ts';
import type { SyncClientConfig, SyncStatus } from '../../agent/sync/client.ts';
import { SyncClient } from '../../agent/sync/client.ts';
import type { Clock } from '../../protocols/clock.ts';
import type { RecordKind, StoredRecord } from '../../protocols/records.ts';
import { PRIORITY } from '../../protocols/records.ts';
import { decodeBatch, estimateRecordBytes } from '../../protocols/sync/batch.ts';
import { SIGNATURE_HEADERS, verifyRequest } from '../../protocols/sync/signature.ts';
import type { IngestRefusal, SyncBatch } from '../../protocols/sync/types.ts';
import { testLogger } from '../helpers/logger.ts';

const ORIGIN = 'http://relay.test';
const GATEWAY = 'gw-01';
const SECRET = Buffer.alloc(32, 7);
const T0 = 1_750_000_000_000;

function rec(seq: number, kind: RecordKind = 'reading', more: Partial<StoredRecord> = {}): StoredRecord {
  const base: StoredRecord = {
    seq,
    kind,
    device: 'gas-1',
    channel: 'ch4',
    value: seq / 4,
    unit: '%LEL',
    quality: 'good',
    exception: null,
    ts: T0 + seq,
    mono: 5000 + seq,
    bootId: 'b0a1c2d3-0000-4000-8000-000000000001',
    priority: kind === 'alarm' ? PRIORITY.alarm : PRIORITY.ordinary,
    flags: 0,
  };
  return { ...base, ...(kind === 'alarm' ? { alarm: { rule: 'high1', level: 'alarm', state: 'raised', threshold: 20 } } : {}), ...more };
}

/** The RecordBuffer's contract, in memory, recording every release. */
class FakeBuffer implements SyncBuffer {
  readonly rows = new Map<number, StoredRecord>();
  readonly releases: number[][] = [];
  readonly quarantinedRows = new Map<number, Refused>();
  private readonly listeners = new Set<(records: readonly StoredRecord[]) => void>();

  commit(records: StoredRecord[]): void {
    for (const r of records) this.rows.set(r.seq, r);
    for (const l of this.listeners) l(records);
  }
  readAfter(afterSeq: number, limit: number, kind?: RecordKind): StoredRecord[] {
    return [...this.rows.values()]
      .filter((r) => r.seq > afterSeq && (kind === undefined || r.kind === kind))
      .sort((a, b) => a.seq - b.seq)
      .slice(0, limit);
  }
  release(seqs: readonly number[]): number {
    this.releases.push([...seqs]);
    return seqs.filter((s) => this.rows.delete(s)).length;
  }
  quarantine(refused: readonly Refused[]): number {
    let moved = 0;
    for (const r of refused) if (this.rows.delete(r.record.seq)) moved += this.quarantinedRows.set(r.record.seq, r) ? 1 : 0;
    return moved;
  }
  quarantined(): number {
    return this.quarantinedRows.size;
  }
  protect(): void {}
  stats(): { count: number } {
    return { count: this.rows.size };
  }
  on(_event: 'committed', listener: (records: readonly StoredRecord[]) => void): this {
    this.listeners.add(listener);
    return this;
  }
  off(_event: 'committed', listener: (records: readonly StoredRecord[]) => void): this {
    this.listeners.delete(listener);
    return this;
  }
  get listenerCount(): number {
    return this.listeners.size;
  }
}

interface Received {
  readonly batch: SyncBatch;
  readonly headers: Record<string, string>;
  readonly body: Buffer;
}
type Answer = { status: number; json?: unknown; text?: string };

function ackOf(batch: SyncBatch, seqs = batch.records.map((r) => r.seq)): Answer {
  return {
    status: 200,
    json: { gateway: GATEWAY, stored: seqs.length, duplicates: 0, acknowledged: seqs.map((s) => [s, s]), highestSeq: Math.max(...seqs), relayTime: Date.now() },
  };
}
function refusal(status: number, error: IngestRefusal): Answer {
  return { status, json: { error, message: error } };
}

const clock: Clock = { now: () => Date.now(), monotonic: () => Date.now() - T0 + 10_000 };

let buffer: FakeBuffer;
let mock: MockAgent;
let received: Received[];
/** How the fake relay answers the next requests; when empty, it acknowledges the whole batch. */
let script: Array<(batch: SyncBatch) => Answer>;
let client: SyncClient | undefined;

function makeClient(config: Partial<SyncClientConfig> = {}, random = (): number => 0.5): SyncClient {
  client = new SyncClient({
    config: {
      url: ORIGIN,
      batchRecords: 100,
      batchBytes: 1_048_576,
      timeoutMs: 5000,
      idleMs: 60_000,
      backoff: { initialMs: 1000, maxMs: 16_000, factor: 2, jitter: 0.2 },
      ...config,
    },
    gatewayId: GATEWAY,
    secret: SECRET,
    buffer,
    clock,
    bootId: 'b0a1c2d3-0000-4000-8000-000000000001',
    clockSynced: () => true,
    logger: testLogger(),
    dispatcher: mock,
    random,
  });
  return client;
}

/** Lets the loop and the mock relay run, without moving the fake clock. */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) {
    await vi.advanceTimersByTimeAsync(0);
    await new Promise((r) => setImmediate(r));
  }
}

const seqsOf = (r: Received | undefined): number[] => (r === undefined ? [] : r.batch.records.map((x) => x.seq));
const delayOf = (s: SyncStatus): number => (s.nextAttemptAt ?? NaN) - clock.now();

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'], now: T0 });
  buffer = new FakeBuffer();
  received = [];
  script = [];
  mock = new MockAgent();
  mock.disableNetConnect();
  mock
    .get(ORIGIN)
    .intercept({ path: '/v1/ingest', method: 'POST' })
    .reply((opts) => {
      const body = Buffer.from(opts.body as Uint8Array);
      const batch = decodeBatch(body);
      received.push({ batch, headers: opts.headers as Record<string, string>, body });
      const answer = (script.shift() ?? ackOf)(batch);
      return { statusCode: answer.status, data: answer.text ?? JSON.stringify(answer.json ?? {}) };
    })
    .persist();
});

afterEach(async () => {
  await client?.stop();
  client = undefined;
  await mock.close();
  vi.useRealTimers();
});

describe('SyncClient batching', () => {
  it('sends alarms first, then readings in seq order, and releases exactly what was acknowledged', async () => {
    buffer.commit([rec(1), rec(2), rec(3, 'alarm'), rec(4), rec(5, 'alarm'), rec(6)]);
    makeClient().start();
    await settle();
    expect(received.map(seqsOf)).toEqual([[3, 5, 1, 2, 4, 6]]);
    expect(buffer.releases).toEqual([[3, 5, 1, 2, 4, 6]]);
    expect(client?.status()).toMatchObject({ state: 'idle', sentRecords: 6, lagRecords: 0, lastError: null, consecutiveFailures: 0 });
    expect(client?.status().sentBytes).toBe(received[0]?.body.length);
  });

  it('bounds batches by batchRecords and by estimated bytes (a lone oversized record still goes)', async () => {
    buffer.commit(Array.from({ length: 7 }, (_, i) => rec(i + 1)));
    makeClient({ batchRecords: 3 }).start();
    await settle();
    expect(received.map(seqsOf)).toEqual([[1, 2, 3], [4, 5, 6], [7]]);

    await client?.stop();
    received = [];
    const size = estimateRecordBytes(rec(1));
    buffer.commit([rec(10), rec(11), rec(12, 'reading', { device: 'x'.repeat(100) }), rec(13)]);
    makeClient({ batchBytes: 2 * size }).start();
    await settle();
    expect(received.map(seqsOf)).toEqual([[10, 11], [12], [13]]);
  });

  it('releases only the acknowledged seqs of a partial ack and resends the rest', async () => {
    buffer.commit([rec(1), rec(2), rec(3)]);
    script.push((batch) => ackOf(batch, [1, 3]));
    makeClient().start();
    await settle();
    expect(buffer.releases).toEqual([[1, 3], [2]]);
    expect(received.map(seqsOf)).toEqual([[1, 2, 3], [2]]);
  });

  it('signs every attempt with a fresh nonce and timestamp', async () => {
    buffer.commit([rec(1)]);
    script.push(() => ({ status: 503 }));
    makeClient().start();
    await settle();
    await vi.advanceTimersByTimeAsync(1000);
    await settle();
    expect(received).toHaveLength(2);
    const nonces = received.map((r) => r.headers[SIGNATURE_HEADERS.nonce]);
    expect(new Set(nonces).size).toBe(2);
    expect(received[1]?.headers[SIGNATURE_HEADERS.timestamp]).not.toBe(received[0]?.headers[SIGNATURE_HEADERS.timestamp]);
    for (const r of received) {
      expect(r.headers['content-type']).toBe('application/octet-stream');
      expect(r.headers[SIGNATURE_HEADERS.gateway]).toBe(GATEWAY);
      const signed = {
        method: 'POST',
        path: '/v1/ingest',
        timestamp: Number(r.headers[SIGNATURE_HEADERS.timestamp]),
        nonce: r.headers[SIGNATURE_HEADERS.nonce] ?? '',
        body: r.body,
        secret: SECRET,
      };
      expect(verifyRequest({ ...signed, signature: r.headers[SIGNATURE_HEADERS.signature] ?? '' })).toBe(true);
    }
  });

  it('posts under the base URL prefix but signs the ingest path the relay verifies (a proxy strips the prefix)', async () => {
    mock
      .get(ORIGIN)
      .intercept({ path: '/atalaya/v1/ingest', method: 'POST' })
      .reply((opts) => {
        const body = Buffer.from(opts.body as Uint8Array);
        const h = opts.headers as Record<string, string>;
        const ok = verifyRequest({
          method: 'POST',
          path: '/v1/ingest',
          timestamp: Number(h[SIGNATURE_HEADERS.timestamp]),
          nonce: h[SIGNATURE_HEADERS.nonce] ?? '',
          body,
          secret: SECRET,
          signature: h[SIGNATURE_HEADERS.signature] ?? '',
        });
        const answer = ok ? ackOf(decodeBatch(body)) : refusal(401, 'unauthenticated');
        return { statusCode: answer.status, data: JSON.stringify(answer.json) };
      });
    buffer.commit([rec(1)]);
    makeClient({ url: `${ORIGIN}/atalaya/` }).start();
    await settle();
    expect(buffer.releases).toEqual([[1]]);
  });

  it('quarantines buffered records the wire format refuses (an older file), never sends them, and sends the rest', async () => {
    buffer.commit([rec(1), rec(2, 'reading', { unit: 'u'.repeat(40) }), rec(3)]);
    makeClient().start();
    await settle();
    expect(received.map(seqsOf)).toEqual([[1, 3]]);
    expect(buffer.rows.has(2)).toBe(false);
    expect(buffer.quarantinedRows.get(2)?.problem.path).toBe('unit');
    expect(client?.status()).toMatchObject({ quarantinedRecords: 1, lagRecords: 0, state: 'idle' });
  });

  it('selects again at once after a read of nothing but quarantined rows, instead of idling', async () => {
    const bad = { unit: 'u'.repeat(40) };
    buffer.commit([rec(1, 'reading', bad), rec(2, 'reading', bad), rec(3)]);
    makeClient({ batchRecords: 2, idleMs: 60_000 }).start();
    await settle();
    expect(received.map(seqsOf)).toEqual([[3]]);
    expect([...buffer.quarantinedRows.keys()]).toEqual([1, 2]);
  });
});

describe('SyncClient waiting', () => {
  it('when caught up sends readings once per idleMs, and a committed alarm ends the wait at once', async () => {
    makeClient({ idleMs: 60_000 }).start();
    await settle();
    expect(client?.status().state).toBe('idle');
    buffer.commit([rec(1)]);
    await settle();
    // A reading waits out the idle period: one request per idleMs on a metered link.
    expect(received).toEqual([]);
    buffer.commit([rec(2, 'alarm')]);
    await settle();
    expect(received.map(seqsOf)).toEqual([[2, 1]]);
    buffer.commit([rec(3)]);
    await vi.advanceTimersByTimeAsync(60_000);
    await settle();
    expect(received.map(seqsOf)).toEqual([[2, 1], [3]]);
  });

  it('backs off exponentially on 5xx, capped at maxMs, retrying the same records and releasing nothing before the 200', async () => {
    buffer.commit([rec(1), rec(2)]);
    for (let i = 0; i < 6; i++) script.push(() => ({ status: 503 }));
    makeClient().start();
    const delays: number[] = [];
    for (let i = 0; i < 6; i++) {
      await settle();
      const s = client!.status();
      expect(s).toMatchObject({ state: 'backoff', lastError: 'server_error', consecutiveFailures: i + 1 });
      expect(buffer.releases).toEqual([]);
      delays.push(delayOf(s));
      // Not a moment early: one ms short of the delay nothing is sent.
      await vi.advanceTimersByTimeAsync(delayOf(s) - 1);
      await settle();
      expect(received).toHaveLength(i + 1);
      await vi.advanceTimersByTimeAsync(1);
    }
    await settle();
    expect(delays).toEqual([1000, 2000, 4000, 8000, 16_000, 16_000]);
    expect(received.map(seqsOf)).toEqual(Array.from({ length: 7 }, () => [1, 2]));
    expect(buffer.releases).toEqual([[1, 2]]);
    expect(client?.status()).toMatchObject({ state: 'idle', consecutiveFailures: 0, lastError: null, nextAttemptAt: null });
  });

  it('spreads delays by the jitter, never past maxMs', async () => {
    buffer.commit([rec(1)]);
    for (let i = 0; i < 2; i++) script.push(() => ({ status: 500 }));
    const randoms = [0, 0.999999];
    makeClient({ backoff: { initialMs: 1000, maxMs: 1100, factor: 2, jitter: 0.2 } }, () => randoms.shift() ?? 0.5).start();
    await settle();
    expect(delayOf(client!.status())).toBe(800);
    await vi.advanceTimersByTimeAsync(800);
    await settle();
    expect(delayOf(client!.status())).toBe(1100);
  });

  it('treats invalid JSON, a foreign ack and an ack of nothing as failures to retry', async () => {
    buffer.commit([rec(1)]);
    script.push(() => ({ status: 200, text: 'not json' }));
    script.push((b) => ({ ...ackOf(b), json: { ...(ackOf(b).json as object), gateway: 'gw-99' } }));
    script.push((b) => ackOf(b, [999]));
    makeClient().start();
    const errors: Array<string | null> = [];
    for (let i = 0; i < 3; i++) {
      await settle();
      errors.push(client!.status().lastError);
      expect(client?.status().state).toBe('backoff');
      await vi.advanceTimersByTimeAsync(delayOf(client!.status()));
    }
    await settle();
    expect(errors).toEqual(['invalid_answer', 'invalid_answer', 'unacknowledged']);
    expect(buffer.releases).toEqual([[1]]);
  });

  it('401 stale backs off like a transient failure (the clock may be wrong)', async () => {
    buffer.commit([rec(1)]);
    script.push(() => refusal(401, 'stale'));
    makeClient().start();
    await settle();
    expect(client?.status()).toMatchObject({ state: 'backoff', lastError: 'stale' });
    expect(delayOf(client!.status())).toBe(1000);
  });

  it.each([
    [401, 'unauthenticated'],
    [403, 'forbidden'],
    [400, 'malformed'],
    [409, 'conflict'],
  ] as const)('%i %s: refused, waits maxMs, keeps the records, then tries again', async (status, code) => {
    buffer.commit([rec(1), rec(2)]);
    script.push(() => refusal(status, code));
    makeClient().start();
    await settle();
    expect(client?.status()).toMatchObject({ state: 'refused', lastError: code, lagRecords: 2 });
    expect(delayOf(client!.status())).toBe(16_000);
    expect(buffer.releases).toEqual([]);
    await vi.advanceTimersByTimeAsync(16_000);
    await settle();
    expect(buffer.releases).toEqual([[1, 2]]);
  });

  it('a refusal without a JSON body is classified by its status; an unknown status is refused', async () => {
    buffer.commit([rec(1)]);
    script.push(() => ({ status: 409, text: '<html>conflict</html>' }));
    script.push(() => ({ status: 404, text: 'not found' }));
    makeClient().start();
    await settle();
    expect(client?.status()).toMatchObject({ state: 'refused', lastError: 'conflict' });
    await vi.advanceTimersByTimeAsync(16_000);
    await settle();
    expect(client?.status()).toMatchObject({ state: 'refused', lastError: 'unexpected_status', consecutiveFailures: 2 });
  });

  it('413 halves the batch and retries soon; a single record refused as too large is refused', async () => {
    buffer.commit(Array.from({ length: 8 }, (_, i) => rec(i + 1)));
    script.push(() => refusal(413, 'too_large'));
    script.push(() => refusal(413, 'too_large'));
    makeClient({ batchRecords: 8 }).start();
    await settle();
    expect(client?.status()).toMatchObject({ state: 'backoff', lastError: 'too_large' });
    await vi.advanceTimersByTimeAsync(delayOf(client!.status()));
    await settle();
    await vi.advanceTimersByTimeAsync(delayOf(client!.status()));
    await settle();
    expect(received.map(seqsOf)).toEqual([
      [1, 2, 3, 4, 5, 6, 7, 8],
      [1, 2, 3, 4],
      [1, 2],
      [3, 4],
      [5, 6],
      [7, 8],
    ]);
    expect(buffer.releases.flat()).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);

    buffer.commit([rec(9)]);
    script.push(() => refusal(413, 'too_large'));
    await vi.advanceTimersByTimeAsync(60_000); // the idle wait (idleMs) before the reading is sent
    await settle();
    expect(client?.status()).toMatchObject({ state: 'refused', lastError: 'too_large' });
    expect(buffer.rows.has(9)).toBe(true);
  });
});

describe('SyncClient lifecycle', () => {
  it('stop() aborts the request in flight, keeps its records, and removes its listener', async () => {
    // A relay that answers only after 4 s (of fake time).
    await mock.close();
    mock = new MockAgent();
    mock.disableNetConnect();
    mock.get(ORIGIN).intercept({ path: '/v1/ingest', method: 'POST' }).reply(200, '{}').delay(4000);
    buffer.commit([rec(1)]);
    makeClient().start();
    await settle();
    expect(client?.status().state).toBe('sending');
    expect(buffer.listenerCount).toBe(1);
    await client?.stop();
    await client?.stop();
    expect(client?.status()).toMatchObject({ state: 'stopped', nextAttemptAt: null });
    expect(buffer.releases).toEqual([]);
    expect(buffer.rows.has(1)).toBe(true);
    expect(buffer.listenerCount).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('stop() ends a backoff wait at once', async () => {
    buffer.commit([rec(1)]);
    script.push(() => ({ status: 503 }));
    makeClient().start();
    await settle();
    expect(client?.status().state).toBe('backoff');
    await client?.stop();
    expect(client?.status().state).toBe('stopped');
    expect(vi.getTimerCount()).toBe(0);
  });

  it('cannot be started again after stop()', async () => {
    const c = makeClient();
    c.start();
    await c.stop();
    expect(() => c.start()).toThrow(expect.objectContaining({ code: 'ATALAYA_SYNC_STOPPED' }));
  });
});
