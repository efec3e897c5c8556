import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { backoffDelay, refusedDelay } from '../../agent/sync/backoff.ts';
import { acknowledgedSeqs, selectBatch } from '../../agent/sync/batcher.ts';
import { createDispatcher } from '../../agent/sync/dispatcher.ts';
import { SYNC_CA_FILE, SYNC_SECRET } from '../../agent/sync/errors.ts';
import { syncConfigSchema } from '../../agent/sync/schema.ts';
import { loadGatewaySecret } from '../../agent/sync/secret.ts';
import type { RecordKind, StoredRecord } from '../../protocols/records.ts';
import { PRIORITY } from '../../protocols/records.ts';
import { newGatewaySecret, secretBytes } from '../../protocols/sync/signature.ts';

function rec(seq: number, kind: RecordKind = 'reading'): StoredRecord {
  return {
    seq,
    kind,
    device: 'flow-1',
    channel: 'flow',
    value: 1.5,
    unit: 'l/s',
    quality: 'good',
    exception: null,
    ts: 1_750_000_000_000 + seq,
    mono: seq,
    bootId: 'boot',
    priority: PRIORITY.ordinary,
    flags: 0,
  };
}

function fromRows(rows: StoredRecord[]): { readAfter: (after: number, limit: number, kind?: RecordKind) => StoredRecord[] } {
  return { readAfter: (after, limit, kind) => rows.filter((r) => r.seq > after && (kind === undefined || r.kind === kind)).slice(0, limit) };
}

function problems(input: unknown): string[] {
  const result = syncConfigSchema.safeParse(input);
  return result.success ? [] : result.error.issues.map((i) => i.path.join('.'));
}

describe('sync config schema', () => {
  it('fills the documented defaults and is disabled without a url', () => {
    expect(syncConfigSchema.parse({})).toEqual({
      enabled: false,
      batchRecords: 5000,
      batchBytes: 1_048_576,
      timeoutMs: 30_000,
      backoff: { initialMs: 1000, maxMs: 300_000, factor: 2, jitter: 0.2 },
      idleMs: 1000,
      clock: { syncFlagFile: '/run/systemd/timesync/synchronized', checkIntervalMs: 5000, jumpThresholdMs: 2000, settleMs: 60_000 },
    });
  });

  it('is enabled by a url unless switched off; enabled without a url is an error', () => {
    expect(syncConfigSchema.parse({ url: 'https://relay.example.com' }).enabled).toBe(true);
    expect(syncConfigSchema.parse({ url: 'https://relay.example.com', enabled: false }).enabled).toBe(false);
    expect(problems({ enabled: true })).toEqual(['url']);
  });

  it('reports every problem with its path: protocol, credentials in the url, ranges, inline secret', () => {
    expect(problems({ url: 'ftp://relay' })).toEqual(['url']);
    expect(problems({ url: 'https://gw:pw@relay' })).toEqual(['url']);
    expect(problems({ url: 'relay.example.com' })).toEqual(['url']);
    const found = problems({ batchRecords: 0, batchBytes: 10, backoff: { initialMs: 5000, maxMs: 1000, jitter: 2 }, secret: 'inline' });
    expect(found).toEqual(expect.arrayContaining(['batchRecords', 'batchBytes', 'backoff.jitter', '']));
    expect(problems({ backoff: { initialMs: 5000, maxMs: 1000 } })).toEqual(['backoff.initialMs']);
  });

  it('exports as JSON Schema with a description on every field, for editors', () => {
    const schema = z.toJSONSchema(syncConfigSchema, { io: 'input', unrepresentable: 'any' }) as { properties: Record<string, { description?: string }> };
    expect(Object.keys(schema.properties)).toContain('url');
    for (const [key, prop] of Object.entries(schema.properties)) expect(prop.description, key).toBeTruthy();
  });
});

describe('backoff', () => {
  const backoff = { initialMs: 1000, maxMs: 60_000, factor: 2, jitter: 0.2 };

  it('grows by factor from initialMs and caps at maxMs, even after days of failures', () => {
    const mid = (): number => 0.5;
    expect([1, 2, 3, 4].map((n) => backoffDelay(n, backoff, mid))).toEqual([1000, 2000, 4000, 8000]);
    expect(backoffDelay(7, backoff, mid)).toBe(60_000);
    expect(backoffDelay(100_000, backoff, mid)).toBe(60_000);
  });

  it('keeps the jitter within ±jitter and never above maxMs', () => {
    for (const n of [1, 3, 50]) {
      for (const r of [0, 0.25, 0.75, 0.999999]) {
        const base = Math.min(60_000, 1000 * 2 ** (n - 1));
        const d = backoffDelay(n, backoff, () => r);
        expect(d).toBeGreaterThanOrEqual(Math.floor(base * 0.8));
        expect(d).toBeLessThanOrEqual(Math.min(60_000, Math.ceil(base * 1.2)));
      }
    }
    expect(refusedDelay(backoff, () => 0)).toBe(48_000);
    expect(refusedDelay(backoff, () => 0.999999)).toBe(60_000);
  });
});

describe('batch selection', () => {
  const size = (): number => 100;

  it('takes alarms first, then readings, up to the record limit', () => {
    const rows = [rec(1), rec(2, 'alarm'), rec(3), rec(4, 'alarm'), rec(5)];
    expect(selectBatch(fromRows(rows), { records: 3, bytes: 10_000 }, size).records.map((r) => r.seq)).toEqual([2, 4, 1]);
    expect(selectBatch(fromRows(rows), { records: 2, bytes: 10_000 }, size).records.map((r) => r.seq)).toEqual([2, 4]);
  });

  it('stops before the byte limit but always takes one record', () => {
    const rows = [rec(1), rec(2), rec(3)];
    expect(selectBatch(fromRows(rows), { records: 10, bytes: 250 }, size)).toMatchObject({ bytes: 200 });
    expect(selectBatch(fromRows(rows), { records: 10, bytes: 50 }, size).records.map((r) => r.seq)).toEqual([1]);
  });

  it('sets aside records the record check refuses, with the rule each breaks, and never selects them', () => {
    const rows = [rec(1), { ...rec(2), unit: 'u'.repeat(33) }, { ...rec(3), ts: -1 }, rec(4)];
    const selection = selectBatch(fromRows(rows), { records: 10, bytes: 10_000 }, size);
    expect(selection.records.map((r) => r.seq)).toEqual([1, 4]);
    expect(selection.refused.map(({ record, problem }) => [record.seq, problem.path])).toEqual([
      [2, 'unit'],
      [3, 'ts'],
    ]);
  });

  it('reads the acknowledged seqs of the batch from merged, unordered, overlapping ranges', () => {
    const batch = [5, 1, 2, 3, 9, 10, 20].map((s) => rec(s));
    expect(
      acknowledgedSeqs(batch, [
        [9, 9],
        [1, 2],
        [2, 3],
        [15, 25],
      ]),
    ).toEqual([1, 2, 3, 9, 20]);
    expect(acknowledgedSeqs(batch, [])).toEqual([]);
    expect(acknowledgedSeqs(batch, [[1, 100]])).toEqual([5, 1, 2, 3, 9, 10, 20]);
  });
});

describe('gateway secret', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir !== undefined) fs.rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it('reads secretFile (trailing newline allowed), else ATALAYA_GATEWAY_SECRET', () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atalaya-'));
    const secret = newGatewaySecret();
    const file = path.join(dir, 'gw.secret');
    fs.writeFileSync(file, `${secret}\n`, { mode: 0o600 });
    expect(Buffer.from(loadGatewaySecret({ secretFile: file }, {}))).toEqual(secretBytes(secret));
    expect(Buffer.from(loadGatewaySecret({}, { ATALAYA_GATEWAY_SECRET: secret }))).toEqual(secretBytes(secret));
  });

  it('fails with ATALAYA_SYNC_SECRET, never quoting the value', () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atalaya-'));
    const bad = path.join(dir, 'bad.secret');
    fs.writeFileSync(bad, 'hunter2-not-a-secret');
    const cases = [
      () => loadGatewaySecret({}, {}),
      () => loadGatewaySecret({ secretFile: path.join(dir!, 'missing') }, {}),
      () => loadGatewaySecret({ secretFile: bad }, {}),
    ];
    for (const load of cases) {
      let caught: unknown;
      try {
        load();
      } catch (err) {
        caught = err;
      }
      expect(caught).toMatchObject({ code: SYNC_SECRET });
      expect(String((caught as Error).message)).not.toContain('hunter2');
    }
  });

  it('a caFile that cannot be read fails with ATALAYA_SYNC_CA_FILE', () => {
    expect(() => createDispatcher({ caFile: '/nonexistent/atalaya-ca.pem' })).toThrow(expect.objectContaining({ code: SYNC_CA_FILE }));
  });
});
