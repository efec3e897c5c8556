import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newApiToken } from '../../cloud/http/auth.ts';
import { allRecords, batchOf, get, readings, send, startTestRelay, type TestRelay } from './relay-setup.ts';

let t: TestRelay;
const NOW = Date.UTC(2025, 2, 1, 12, 0, 0);

beforeAll(async () => {
  t = await startTestRelay();
  const secret = await t.addGateway('gw-1');
  // 30 readings of caudal-1 (seqs 1..30) and one alarm of gas-1 (seq 31), ts one second apart from NOW − 1 h.
  const alarm = {
    ...readings(1, { firstSeq: 31, now: NOW, device: 'gas-1' })[0]!,
    kind: 'alarm' as const,
    priority: 2 as const,
    alarm: { rule: 'high1', level: 'alarm' as const, state: 'raised' as const, threshold: 10 },
  };
  const res = await send(t.url, secret, batchOf('gw-1', [...readings(30, { firstSeq: 1, now: NOW }), alarm]));
  expect(res.status).toBe(200);
});
afterAll(async () => {
  await t?.stop();
});

describe('read APIs', () => {
  it.each(['/v1/gateways', '/v1/readings', '/v1/integrity-alarms'])('%s refuses a request without a valid token', async (route) => {
    const none = await get(t.url, route, null);
    expect(none.status).toBe(401);
    expect(none.body['error']).toBe('unauthenticated');
    expect(none.headers['www-authenticate']).toMatch(/^Bearer/);
    expect((await get(t.url, route, newApiToken())).status).toBe(401);
    expect((await get(t.url, route, t.token)).status).toBe(200);
  });

  it('/healthz answers without a token, saying only that the store is up', async () => {
    const res = await get(t.url, '/healthz', null);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok' });
  });

  it('/v1/gateways lists last seen, highest seq and counts, never the secret', async () => {
    const res = await get(t.url, '/v1/gateways', t.token);
    const gateways = res.body['gateways'] as Array<Record<string, unknown>>;
    expect(gateways).toHaveLength(1);
    expect(gateways[0]).toMatchObject({ id: 'gw-1', highestSeq: 31, records: 31 });
    expect(typeof gateways[0]!['lastSeenAt']).toBe('number');
    expect(JSON.stringify(res.body)).not.toMatch(/v1\.[\w-]+\.[\w-]+\.[\w-]+/);
  });

  it('/v1/readings pages through every record with next, without repeats', async () => {
    const pages: number[][] = [];
    let cursor: string | null = null;
    do {
      const q: string = cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`;
      const res = await get(t.url, `/v1/readings?gateway=gw-1&limit=7${q}`, t.token);
      expect(res.status).toBe(200);
      pages.push((res.body['items'] as Array<{ seq: number }>).map((r) => r.seq));
      cursor = res.body['next'] as string | null;
    } while (cursor !== null && pages.length < 20);
    expect(pages.slice(0, -1).every((p) => p.length === 7)).toBe(true);
    expect(pages.flat().sort((a, b) => a - b)).toEqual(Array.from({ length: 31 }, (_, i) => i + 1));
  });

  it('/v1/readings filters by device, channel, kind and time (ISO or epoch ms)', async () => {
    expect((await allRecords(t, 'device=gas-1')).map((r) => r['seq'])).toEqual([31]);
    expect((await allRecords(t, 'kind=alarm'))[0]).toMatchObject({ seq: 31, alarm: { rule: 'high1', state: 'raised' } });
    expect(await allRecords(t, 'device=caudal-1&channel=flow')).toHaveLength(15);
    // Record seq s has ts = NOW − 1 h + s·1000: seqs 5..9 fall in [from, to).
    const from = NOW - 3_600_000 + 5000;
    const to = NOW - 3_600_000 + 10_000;
    const byMs = await allRecords(t, `from=${from}&to=${to}`);
    expect(byMs.map((r) => r['seq']).sort()).toEqual([5, 6, 7, 8, 9]);
    const byIso = await allRecords(t, `from=${encodeURIComponent(new Date(from).toISOString())}&to=${encodeURIComponent(new Date(to).toISOString())}`);
    expect(byIso.map((r) => r['seq'])).toEqual(byMs.map((r) => r['seq']));
    expect(await allRecords(t, 'gateway=gw-9')).toEqual([]);
  });

  it.each([
    ['limit=0', 'limit'],
    ['limit=10001', 'limit'],
    ['from=yesterday', 'from'],
    ['from=2000&to=1000', 'from'],
    ['kind=reading&kind=alarm', 'kind'],
    ['kind=event', 'kind'],
    ['devcie=x', 'devcie'],
    ['cursor=not-a-cursor', 'cursor'],
  ])('/v1/readings?%s → 400 invalid_query naming %s', async (query, path) => {
    const res = await get(t.url, `/v1/readings?${query}`, t.token);
    expect(res.status).toBe(400);
    expect(res.body['error']).toBe('invalid_query');
    expect((res.body['problems'] as Array<{ path: string }>).map((p) => p.path)).toContain(path);
  });

  it('answers 404 with a JSON error for an unknown route', async () => {
    const res = await get(t.url, '/v1/nothing', t.token);
    expect(res.status).toBe(404);
    expect(res.body['error']).toBe('not_found');
  });
});
