import { afterEach, describe, expect, it } from 'vitest';
import { ANVIL_DEV_KEYS } from '../../simulators/chain/anvil.ts';
import { type Bench, startBench } from './relay-dga-setup.ts';
import { batchOf, get, readings, send, startTestRelay, type TestRelay } from './relay-setup.ts';

/**
 * The read APIs the dashboard (cloud/dashboard/ui) calls: each refuses a request without the
 * operator token, DGA and anchoring answer 404 when disabled (the page then hides their tabs), and
 * each answer has the fields the page reads.
 */
const WELL = {
  code: 'OB-0602-7',
  kind: 'subterranea',
  gateway: 'gw-1',
  device: 'pozo-1',
  channels: { flow: 'flow', totalizer: 'totalizer', waterColumn: 'water_column' },
  sensorDepthM: 60,
  startAt: '2025-06-16T00:00:00-04:00',
};
/** Anchoring on, without a chain: nothing here signs or sends (ticks run only when a test calls them). */
const ANCHOR = { enabled: true, rpcUrl: 'http://127.0.0.1:1', chainId: 31337, contract: `0x${'11'.repeat(20)}` };

let stops: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const stop of stops.reverse()) await stop();
  stops = [];
});
async function relay(options: Parameters<typeof startTestRelay>[0] = {}): Promise<TestRelay> {
  const t = await startTestRelay(options);
  stops.push(() => t.stop());
  return t;
}
async function bench(): Promise<Bench> {
  const b = await startBench({ start: Date.UTC(2025, 5, 16, 7, 10), obras: [WELL] });
  stops.push(() => b.stop());
  return b;
}

async function expectGuarded(url: string, route: string, token: string): Promise<Record<string, unknown>> {
  const none = await get(url, route, null);
  expect(none.status, route).toBe(401);
  expect(none.body['error'], route).toBe('unauthenticated');
  const ok = await get(url, route, token);
  expect(ok.status, route).toBe(200);
  return ok.body;
}

describe('APIs the dashboard calls', () => {
  it('gateways and readings: token required; the fields the page shows are there', async () => {
    const t = await relay();
    const secret = await t.addGateway('gw-1');
    expect((await send(t.url, secret, batchOf('gw-1', readings(4)))).status).toBe(200);

    const { gateways } = (await expectGuarded(t.url, '/v1/gateways', t.token)) as { gateways: Array<Record<string, unknown>> };
    expect(Object.keys(gateways[0]!).sort()).toEqual(['clockOffsetMs', 'createdAt', 'highestSeq', 'id', 'lastSeenAt', 'org', 'records']);

    const page = await expectGuarded(t.url, `/v1/readings?gateway=gw-1&channel=flow&kind=reading&from=0&to=${Date.now() + 1000}&limit=1`, t.token);
    expect(page['next']).toEqual(expect.any(String));
    expect((page['items'] as Array<Record<string, unknown>>)[0]).toMatchObject({
      gateway: 'gw-1',
      seq: 1,
      channel: 'flow',
      kind: 'reading',
      value: expect.any(Number),
      unit: 'L/s',
      quality: 'good',
      exception: null,
      ts: expect.any(Number),
      tsCorrected: null,
      flags: 0,
      receivedAt: expect.any(Number),
      device: 'caudal-1',
    });
    const rest = await get(t.url, `/v1/readings?gateway=gw-1&channel=flow&limit=100&cursor=${encodeURIComponent(page['next'] as string)}`, t.token);
    expect((rest.body['items'] as Array<{ seq: number }>).map((r) => r.seq)).toEqual([3]);
  });

  it('DGA and anchoring answer 404 when disabled, so the page hides their tabs', async () => {
    const t = await relay();
    for (const route of ['/v1/dga', '/v1/dga/OB-0602-7', '/v1/anchors?limit=1', '/v1/anchors/errors', '/v1/anchors/1', '/v1/proofs/gw-1/1']) {
      const res = await get(t.url, route, t.token);
      expect(res.status, route).toBe(404);
      expect(res.body['error'], route).toBe('not_found');
    }
  });

  it('anchoring: token required; batches, a batch with its transactions, errors; a proof not yet anchored is 409', async () => {
    const t = await relay({ anchor: ANCHOR, env: { ATALAYA_ANCHOR_KEY: ANVIL_DEV_KEYS[0] } });
    const secret = await t.addGateway('gw-1');
    expect((await send(t.url, secret, batchOf('gw-1', readings(3)))).status).toBe(200);
    const batch = await t.relay.anchor!.cut();
    expect(batch).toBeDefined();

    const { batches } = (await expectGuarded(t.url, '/v1/anchors?limit=50', t.token)) as { batches: Array<Record<string, unknown>> };
    expect(batches).toHaveLength(1);
    expect(batches[0]).toMatchObject({
      id: batch!.id,
      status: 'pending',
      size: 3,
      root: expect.stringMatching(/^[0-9a-f]{64}$/),
      txHash: null,
      blockNumber: null,
      gasUsed: null,
      costWei: null,
      reorgs: 0,
    });
    expect(batches[0]).toHaveProperty('periodEnd');
    expect(await expectGuarded(t.url, `/v1/anchors/${batch!.id}`, t.token)).toMatchObject({ batch: { id: batch!.id }, txs: [] });
    expect(await expectGuarded(t.url, '/v1/anchors/errors?limit=50', t.token)).toEqual({ errors: [] });

    expect((await get(t.url, '/v1/proofs/gw-1/2', null)).status).toBe(401);
    const proof = await get(t.url, '/v1/proofs/gw-1/2', t.token);
    expect(proof.status).toBe(409);
    expect(proof.body).toMatchObject({ error: 'not_anchored', status: 'pending', batch: batch!.id });
    expect((await get(t.url, '/v1/proofs/gw-1/99', t.token)).status).toBe(404);
  });

  it('DGA: token required; per obra the last accepted slot, queued, late and problems with reasons', async () => {
    const b = await bench();
    const { obras } = (await expectGuarded(b.url, '/v1/dga', b.token)) as { obras: Array<Record<string, unknown>> };
    expect(obras).toHaveLength(1);
    expect(obras[0]).toMatchObject({
      obra: WELL.code,
      gateway: 'gw-1',
      device: 'pozo-1',
      credentials: true,
      stopped: null,
      lastAccepted: null,
      counts: expect.objectContaining({ pending: expect.any(Number), sending: expect.any(Number), missing: expect.any(Number), rejected: expect.any(Number) }),
      lateUnsent: expect.any(Number),
      acceptedLate: expect.any(Number),
      problems: expect.any(Array),
    });
    expect(obras[0]).toHaveProperty('nextDueAt');
    const detail = await expectGuarded(b.url, `/v1/dga/${WELL.code}`, b.token);
    expect(detail).toMatchObject({ obra: WELL.code, recent: expect.any(Array) });
  });
});
