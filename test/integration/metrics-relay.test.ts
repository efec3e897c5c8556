import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { INGEST_PATH } from '../../protocols/sync/types.ts';
import { type PromFamily, parseExposition, value } from '../helpers/prom.ts';
import { batchOf, postRaw, readings, send, signedHeaders, startTestRelay, type TestRelay } from './relay-setup.ts';

/** GET /metrics on a real relay: operator token required, text format, counters moved by real ingest. */
async function scrape(t: TestRelay, token: string | null = t.token): Promise<{ status: number; type: string | undefined; families?: Map<string, PromFamily> }> {
  const res = await request(`${t.url}/metrics`, { headers: token === null ? {} : { authorization: `Bearer ${token}` } });
  const text = await res.body.text();
  const type = res.headers['content-type'] as string | undefined;
  return res.statusCode === 200 ? { status: 200, type, families: parseExposition(text) } : { status: res.statusCode, type };
}

describe('relay metrics endpoint', () => {
  let t: TestRelay | undefined;
  afterEach(async () => {
    await t?.stop();
    t = undefined;
  });

  it('answers only the operator token', async () => {
    t = await startTestRelay();
    expect((await scrape(t, null)).status).toBe(401);
    expect((await scrape(t, 'atk_not-a-token')).status).toBe(401);
    const ok = await scrape(t);
    expect(ok.status).toBe(200);
    expect(ok.type).toMatch(/^text\/plain; version=0\.0\.4/);
  });

  it('counts real ingest requests by outcome and the records they stored', async () => {
    t = await startTestRelay({ ingest: { maxBodyBytes: 64 * 1024 } });
    const secret = await t.addGateway('gw-1');
    const before = (await scrape(t)).families!;
    expect(value(before, 'atalaya_relay_gateways')).toBe(1);
    const storedBefore = value(before, 'atalaya_relay_records_stored_total') ?? 0;

    const first = await send(t.url, secret, batchOf('gw-1', readings(10)));
    expect(first.status).toBe(200);
    expect((await send(t.url, secret, batchOf('gw-1', readings(5, { firstSeq: 11 })))).status).toBe(200);
    // The same request again: refused as a replay, nothing stored.
    expect((await postRaw(t.url, first.raw.headers, first.raw.body)).status).toBe(401);
    // Refused by Fastify before the handler: over the body limit, and not application/octet-stream.
    const big = Buffer.alloc(100 * 1024, 1);
    expect((await postRaw(t.url, signedHeaders('gw-1', secret, big), big)).status).toBe(413);
    const res = await request(`${t.url}${INGEST_PATH}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    await res.body.dump();
    expect(res.statusCode).toBe(415);

    const after = (await scrape(t)).families!;
    expect(value(after, 'atalaya_relay_records_stored_total')! - storedBefore).toBe(15);
    expect(value(after, 'atalaya_relay_ingest_requests_total', { outcome: 'accepted' })).toBe(2);
    expect(value(after, 'atalaya_relay_ingest_requests_total', { outcome: 'replayed' })).toBe(1);
    expect(value(after, 'atalaya_relay_ingest_requests_total', { outcome: 'too_large' })).toBe(1);
    expect(value(after, 'atalaya_relay_ingest_requests_total', { outcome: 'malformed' })).toBe(1);
    expect(value(after, 'atalaya_relay_gateways')).toBe(1);
    // Neither DGA nor anchoring is enabled: no samples rather than zeros.
    expect(after.get('atalaya_dga_submissions')?.samples).toEqual([]);
    expect(after.get('atalaya_anchor_batches')?.samples).toEqual([]);
    expect(value(after, 'atalaya_relay_metrics_source_errors_total', { source: 'gateways' })).toBeUndefined();
  });
});
