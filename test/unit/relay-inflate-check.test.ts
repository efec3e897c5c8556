/** cloud/ingest/inflate-check.ts and decode-budget.ts: the bounds on a signed body before it is parsed (issue 19 item 11). */
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { DecodeBudget } from '../../cloud/ingest/decode-budget.ts';
import { INGEST_BUSY, INGEST_MALFORMED, INGEST_TOO_LARGE, isIngestBusy, isIngestRefused } from '../../cloud/ingest/errors.ts';
import { checkInflated, MAX_DEPTH, maxJsonValues } from '../../cloud/ingest/inflate-check.ts';
import type { StoredRecord } from '../../protocols/records.ts';
import { decodeBatch, encodeBatch } from '../../protocols/sync/batch.ts';

const limits = { maxInflatedBytes: 16 * 1_048_576, maxRecords: 10_000 };

async function outcome(text: string | Buffer, l = limits): Promise<number | string> {
  try {
    return await checkInflated(zlib.gzipSync(text), l, 'gw-1');
  } catch (err) {
    return isIngestRefused(err) ? err.code : String(err);
  }
}

/** The batch with the most JSON values per record: every string new to its table, every record an alarm with detail. */
function worstBatch(n: number): Buffer {
  const records: StoredRecord[] = Array.from({ length: n }, (_, i) => ({
    seq: i + 1,
    kind: 'alarm',
    device: `device-${i}`,
    channel: `channel-${i}`,
    value: i / 3,
    unit: `u${i}`,
    quality: 'good',
    exception: null,
    ts: 1_700_000_000_000 + i,
    mono: 1000 + i,
    bootId: `boot-${i}`,
    priority: 2,
    flags: 0,
    alarm: { rule: `rule-${i}`, level: 'alarm', state: 'raised', threshold: 1.5 },
  }));
  return encodeBatch({ gateway: 'gw-1', sentAt: 1_700_000_000_000, mono: 1000 + n, bootId: 'boot-0', clockSynced: true, records });
}

describe('checkInflated', () => {
  it('passes the largest real batch (maxRecords records, every string distinct, every record an alarm), which then decodes', async () => {
    const body = worstBatch(limits.maxRecords);
    const size = await checkInflated(body, limits, 'gw-1');
    expect(size).toBe(zlib.gunzipSync(body).length);
    expect(decodeBatch(body, limits).records).toHaveLength(limits.maxRecords);
  });

  it('refuses nesting deeper than MAX_DEPTH (malformed), and does not count brackets inside strings', async () => {
    expect(await outcome(`${'['.repeat(MAX_DEPTH)}${']'.repeat(MAX_DEPTH)}`)).toBeGreaterThan(0);
    expect(await outcome(`${'['.repeat(MAX_DEPTH + 1)}${']'.repeat(MAX_DEPTH + 1)}`)).toBe(INGEST_MALFORMED);
    expect(await outcome(`{"a":"${'[{'.repeat(1000)}\\"${'['.repeat(100)}"}`)).toBeGreaterThan(0);
    expect(await outcome(`[{"a":"\\\\"},${'['.repeat(MAX_DEPTH)}`)).toBe(INGEST_MALFORMED);
  });

  it('refuses more JSON values than maxRecords can need, and more inflated bytes than maxInflatedBytes (too_large)', async () => {
    const values = maxJsonValues(100);
    expect(await outcome(`[${'0,'.repeat(values - 2)}0]`, { ...limits, maxRecords: 100 })).toBeGreaterThan(0);
    expect(await outcome(`[${'0,'.repeat(values)}0]`, { ...limits, maxRecords: 100 })).toBe(INGEST_TOO_LARGE);
    expect(await outcome(Buffer.alloc(2 * 1_048_576, 0x20), { ...limits, maxInflatedBytes: 1_048_576 })).toBe(INGEST_TOO_LARGE);
  });

  it('leaves a body that is not gzip to decodeBatch', async () => {
    await expect(checkInflated(Buffer.from('not gzip'), limits, 'gw-1')).resolves.toBe(0);
  });
});

describe('DecodeBudget', () => {
  it('refuses a reservation over the budget with ATALAYA_INGEST_BUSY until bytes are released', () => {
    const budget = new DecodeBudget(100);
    const a = budget.reserve(60);
    let refused: unknown;
    try {
      budget.reserve(41);
    } catch (err) {
      refused = err;
    }
    expect(isIngestBusy(refused) && refused.code).toBe(INGEST_BUSY);
    const b = budget.reserve(40);
    a();
    a();
    expect(budget.bytesInFlight).toBe(40);
    b();
    expect(budget.bytesInFlight).toBe(0);
  });
});
