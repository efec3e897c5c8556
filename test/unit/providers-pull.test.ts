/**
 * The pull schedule (cloud/providers/pull.ts) and Tago's cursor (cloud/providers/tago.ts), with a
 * store double and fake timers: back-off doubling to its cap, the status written on failure, no
 * timer at all when scheduling is off, and a page wholly at the cursor's time skipped forward.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { sourceConfigSchema, type TagoSourceConfig } from '../../cloud/providers/config.ts';
import { SOURCE_PULL_FAILED, SOURCE_PULL_MALFORMED, sourceError } from '../../cloud/providers/errors.ts';
import { type FetchPage, SourcePuller } from '../../cloud/providers/pull.ts';
import { parseTagoPage, tagoUrl } from '../../cloud/providers/tago.ts';
import type { SourceBatch, SourcesStore } from '../../cloud/store/sources-types.ts';
import { isAtalayaError } from '../../protocols/errors.ts';
import { testLogger } from '../helpers/logger.ts';

afterEach(() => {
  vi.useRealTimers();
});

function storeDouble() {
  const calls = { ingested: [] as SourceBatch[], failed: [] as Array<[string, number, number]>, scheduled: [] as number[] };
  let cursor: string | null = null;
  const store = {
    getSource: async () => ({ cursor }) as never,
    ingest: async (b: SourceBatch) => {
      calls.ingested.push(b);
      cursor = b.cursor ?? cursor;
      return { messages: b.messages.length, records: b.messages.length, duplicates: 0, firstSeq: null, lastSeq: null };
    },
    pullFailed: async (_s: string, error: string, failures: number, next: number) => void calls.failed.push([error, failures, next]),
    scheduled: async (_s: string, next: number) => void calls.scheduled.push(next),
  } as unknown as SourcesStore;
  return { store, calls };
}

const clock = { now: () => 1_000_000, monotonic: () => 0 };

describe('SourcePuller', () => {
  it('backs off from intervalMs doubling per failure up to backoffMaxMs, ±10 % jitter', () => {
    const { store } = storeDouble();
    const fixed = (r: number) =>
      new SourcePuller({
        source: 's',
        fetchPage: async () => ({ messages: [], problems: [], cursor: '', more: false }),
        store,
        clock,
        logger: testLogger(),
        intervalMs: 1000,
        backoffMaxMs: 5000,
        random: () => r,
      });
    expect([0, 1, 2, 3, 4, 10].map((f) => fixed(0.5).delayMs(f))).toEqual([1000, 1000, 2000, 4000, 5000, 5000]);
    expect(fixed(0).delayMs(2)).toBe(1800);
    expect(fixed(1).delayMs(2)).toBe(2200);
  });

  it('fetches pages from the committed cursor until a short page, storing each with its cursor', async () => {
    const { store, calls } = storeDouble();
    const asked: Array<string | null> = [];
    const fetchPage: FetchPage = async (cursor) => {
      asked.push(cursor);
      const n = asked.length;
      return { messages: [{ id: `m${n}`, at: n, records: [] }], problems: [], cursor: `c${n}`, more: n < 3 };
    };
    const puller = new SourcePuller({ source: 's', fetchPage, store, clock, logger: testLogger(), intervalMs: 1000, backoffMaxMs: 5000, schedule: false });
    expect(await puller.pullNow()).toMatchObject({ pages: 3, messages: 3 });
    expect(asked).toEqual([null, 'c1', 'c2']);
    expect(calls.ingested.map((b) => b.cursor)).toEqual(['c1', 'c2', 'c3']);
  });

  it('writes each failure, its count and the next try; with scheduling off it arms no timer', async () => {
    vi.useFakeTimers();
    const { store, calls } = storeDouble();
    const fetchPage: FetchPage = async () => {
      throw sourceError(SOURCE_PULL_FAILED, 'HTTP 503');
    };
    const puller = new SourcePuller({
      source: 's',
      fetchPage,
      store,
      clock,
      logger: testLogger(),
      intervalMs: 1000,
      backoffMaxMs: 5000,
      schedule: false,
      random: () => 0.5,
    });
    await puller.start();
    for (const _ of [1, 2, 3]) expect(isAtalayaError(await puller.pullNow().catch((e: unknown) => e), SOURCE_PULL_FAILED)).toBe(true);
    expect(calls.failed).toEqual([
      ['ATALAYA_SOURCE_PULL_FAILED: HTTP 503', 1, 1_001_000],
      ['ATALAYA_SOURCE_PULL_FAILED: HTTP 503', 2, 1_002_000],
      ['ATALAYA_SOURCE_PULL_FAILED: HTTP 503', 3, 1_004_000],
    ]);
    expect(vi.getTimerCount()).toBe(0);
    await puller.stop();
  });

  it('when scheduled, pulls at once on start, then again after the interval; stop clears the timer', async () => {
    vi.useFakeTimers();
    const { store, calls } = storeDouble();
    const puller = new SourcePuller({
      source: 's',
      fetchPage: async () => ({ messages: [], problems: [], cursor: 'c', more: false }),
      store,
      clock,
      logger: testLogger(),
      intervalMs: 1000,
      backoffMaxMs: 5000,
      random: () => 0.5,
    });
    await puller.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(calls.ingested).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1000);
    expect(calls.ingested).toHaveLength(2);
    await puller.stop();
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('Tago cursor', () => {
  const cfg = sourceConfigSchema.parse({
    id: 't',
    kind: 'tago',
    url: 'http://127.0.0.1:9/',
    device: 'pozo',
    pageSize: 3,
    variables: { caudal: { channel: 'flow', unit: 'L/s' } },
  }) as TagoSourceConfig;
  const rec = (id: string, time: string, variable = 'caudal', value: unknown = 1.5) => ({ id, variable, value, unit: 'L/s', time });

  it('asks ascending from the cursor for the mapped variables', () => {
    const url = new URL(tagoUrl(cfg, { since: Date.parse('2026-01-01T00:00:00Z'), skip: 3 }));
    expect(url.pathname).toBe('/data');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      variables: 'caudal',
      qty: '3',
      skip: '3',
      ordination: 'ascending',
      start_date: '2025-12-31T23:59:59.999Z',
    });
  });

  it('moves to the newest time of a page, and skips forward only when a whole page is at the cursor time', () => {
    const T = '2026-01-01T00:00:00.000Z';
    const page = parseTagoPage({ result: [rec('a', T), rec('b', '2026-01-01T00:01:00Z'), rec('c', '2026-01-01T00:01:00Z')] }, cfg, { since: 0, skip: 0 });
    expect(page.cursor).toEqual({ since: Date.parse('2026-01-01T00:01:00Z'), skip: 0 });
    expect(page.more).toBe(true);
    expect(page.messages.map((m) => m.id)).toEqual(['tago:a', 'tago:b', 'tago:c']);
    const stuck = parseTagoPage({ result: [rec('d', T), rec('e', T), rec('f', T)] }, cfg, { since: Date.parse(T), skip: 3 });
    expect(stuck.cursor).toEqual({ since: Date.parse(T), skip: 6 });
  });

  it('counts a record without a time or with text that is no number, keeps the others, and refuses an answer without result', () => {
    const page = parseTagoPage(
      { result: [rec('a', 'ayer'), rec('b', '2026-01-01T00:00:00Z', 'caudal', 'n/a'), rec('c', '2026-01-01T00:00:00Z', 'caudal', '2.5')] },
      cfg,
      {
        since: 0,
        skip: 0,
      },
    );
    expect(page.problems.map((p) => p.reason)).toEqual(['bad_time', 'not_a_number']);
    expect(page.messages.flatMap((m) => m.records.map((r) => r.value))).toEqual([2.5]);
    const err = (() => {
      try {
        parseTagoPage({ status: false, message: 'x' }, cfg, { since: 0, skip: 0 });
      } catch (e) {
        return e;
      }
    })();
    expect(isAtalayaError(err, SOURCE_PULL_MALFORMED)).toBe(true);
  });
});
