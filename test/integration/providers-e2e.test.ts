/**
 * Issue 17's proof, in one relay: each provider adapter end to end through its simulator into the
 * relay store (TTS webhook, Tago pull, HTTP/CSV pull), redelivery stored once, each bad input
 * counted by reason with the rest kept, a provider down retried with back-off and shown on
 * GET /v1/sources, and last a DGA slot of every provider-fed obra derived and sent to the DGA double.
 */
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SOURCE_PULL_FAILED } from '../../cloud/providers/errors.ts';
import type { SourceStatus } from '../../cloud/providers/service.ts';
import { isAtalayaError } from '../../protocols/errors.ts';
import { flowmeterAt } from '../../simulators/providers/flowmeter.ts';
import { ttsUplink } from '../../simulators/providers/tts-uplink.ts';
import { HOUR, MINUTE, OBRAS, type ProviderBench, startProviderBench, TTS_DEVICE, TTS_SECRET } from './providers-setup.ts';

const T0 = Date.UTC(2025, 5, 16, 4, 0, 0); // 2025-06-16 00:00 UTC−4 (DGA's clock)
const START = T0 + 3 * HOUR + 10 * MINUTE;
const POINTS = 20; // readings every 10 minutes in [T0, START]

let b: ProviderBench;
beforeAll(async () => {
  b = await startProviderBench(T0, START, true);
  for (let i = 0; i < POINTS; i++) {
    b.clock.t = T0 + i * 10 * MINUTE;
    await b.tts.tick();
  }
  b.clock.t = START;
});
afterAll(async () => {
  await b?.stop();
});

const count = async (gateway: string): Promise<number> => (await b.relay.store.queryRecords({ gateway, limit: 10_000 })).items.length;
const sources = async (): Promise<SourceStatus[]> => {
  const res = await request(`${b.url}/v1/sources`, { headers: { authorization: `Bearer ${b.token}` } });
  expect(res.statusCode).toBe(200);
  return ((await res.body.json()) as { sources: SourceStatus[] }).sources;
};
const source = async (id: string): Promise<SourceStatus> => (await sources()).find((s) => s.id === id) as SourceStatus;
const post = async (body: string, headers: Record<string, string>): Promise<{ status: number; body: Record<string, unknown> }> => {
  const res = await request(`${b.url}/v1/sources/ttn/tts`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  return { status: res.statusCode, body: (await res.body.json()) as Record<string, unknown> };
};
const uplink = (fCnt: number, omit: Array<'flow' | 'totalizer' | 'level'> = []): string =>
  JSON.stringify(ttsUplink({ device: TTS_DEVICE, fCnt, at: START - MINUTE, reading: { flow: 1, totalizer: 2, level: 3 }, gateways: ['gw-a'], omit }));

describe('The Things Stack webhook', () => {
  it("stores every uplink's mapped fields under the source's virtual gateway, gapless", async () => {
    expect(b.tts.sent).toBe(POINTS);
    const { items } = await b.relay.store.queryRecords({ gateway: OBRAS.tts.gateway, limit: 10_000 });
    expect(items).toHaveLength(POINTS * 3);
    expect(items.map((r) => r.seq).sort((x, y) => x - y)).toEqual(Array.from({ length: POINTS * 3 }, (_, i) => i + 1));
    const flow = items.find((r) => r.channel === 'flow' && r.ts === T0 + HOUR);
    expect(flow).toMatchObject({ device: OBRAS.tts.device, unit: 'L/s', quality: 'good', value: flowmeterAt(b.tts['model'], T0 + HOUR).flow });
  });

  it('stores the same uplink delivered twice once', async () => {
    const before = await count(OBRAS.tts.gateway);
    expect(await post(uplink(500), { 'x-atalaya-webhook-secret': TTS_SECRET })).toMatchObject({ status: 200, body: { stored: 3, duplicate: false } });
    expect(await post(uplink(500), { 'x-atalaya-webhook-secret': TTS_SECRET })).toMatchObject({ status: 200, body: { stored: 0, duplicate: true } });
    expect(await count(OBRAS.tts.gateway)).toBe(before + 3);
    expect(await source('ttn')).toMatchObject({ duplicates: 1, provisioned: true, configured: true });
  });

  it('answers 401 to a missing or forged secret and stores nothing', async () => {
    const before = await count(OBRAS.tts.gateway);
    expect((await post(uplink(501), {})).status).toBe(401);
    expect((await post(uplink(501), { 'x-atalaya-webhook-secret': `${TTS_SECRET}x` })).status).toBe(401);
    expect((await post(uplink(501), { 'x-atalaya-webhook-secret': TTS_SECRET.slice(0, -1) })).status).toBe(401);
    expect(await count(OBRAS.tts.gateway)).toBe(before);
  });

  it('counts a malformed body, an unknown device and a missing field by reason, and keeps the other fields', async () => {
    const auth = { 'x-atalaya-webhook-secret': TTS_SECRET };
    const before = await count(OBRAS.tts.gateway);
    expect((await post('{"end_device_ids": {', auth)).status).toBe(400);
    const stranger = JSON.stringify(
      ttsUplink({
        device: { ...TTS_DEVICE, deviceId: 'otro', devEui: '0000000000000009' },
        fCnt: 1,
        at: START,
        reading: { flow: 1, totalizer: 2, level: 3 },
        gateways: ['gw-a'],
      }),
    );
    expect(await post(stranger, auth)).toMatchObject({ status: 200, body: { stored: 0, problems: ['unknown_device'] } });
    expect(await post(uplink(502, ['totalizer']), auth)).toMatchObject({ status: 200, body: { stored: 2, problems: ['missing_field'] } });
    expect(await count(OBRAS.tts.gateway)).toBe(before + 2);
    const problems = Object.fromEntries((await source('ttn')).problems.map((p) => [p.reason, p.count]));
    expect(problems).toEqual({ malformed: 1, unknown_device: 1, missing_field: 1 });
  });
});

describe('Tago pull', () => {
  it('pulls every record page by page from the committed cursor; a second pull stores nothing again', async () => {
    const puller = b.relay.sources.puller('tago')!;
    const first = await puller.pullNow();
    expect(first.records).toBe(b.tago.recordCount());
    expect(first.pages).toBeGreaterThan(5);
    expect(await count(OBRAS.tago.gateway)).toBe(POINTS * 3);
    const again = await puller.pullNow();
    expect(again.records).toBe(0);
    expect(await count(OBRAS.tago.gateway)).toBe(POINTS * 3);
  });

  it('a provider down is retried with back-off, visible on GET /v1/sources, and caught up once it answers', async () => {
    const puller = b.relay.sources.puller('tago')!;
    b.tago.fault = '5xx';
    for (const failures of [1, 2]) {
      const err = await puller.pullNow().catch((e: unknown) => e);
      expect(isAtalayaError(err, SOURCE_PULL_FAILED)).toBe(true);
      const status = await source('tago');
      expect(status).toMatchObject({ failures, lastErrorAt: START });
      expect(status.lastError).toMatch(/^ATALAYA_SOURCE_PULL_FAILED: HTTP 503/);
      // intervalMs 1000 doubling per failure in a row, ±10 % jitter.
      expect(status.nextTryAt! - START).toBeGreaterThanOrEqual(0.9 * 1000 * 2 ** (failures - 1));
      expect(status.nextTryAt! - START).toBeLessThanOrEqual(1.1 * 1000 * 2 ** (failures - 1));
    }
    // The status is an operator's: no token, no answer.
    expect((await request(`${b.url}/v1/sources`)).statusCode).toBe(401);
    b.tago.fault = 'none';
    b.clock.t = START + 10 * MINUTE;
    expect((await puller.pullNow()).records).toBe(3);
    expect(await source('tago')).toMatchObject({ failures: 0, lastError: null, lastSuccessAt: START + 10 * MINUTE });
    b.clock.t = START;
  });
});

describe('HTTP/CSV pull', () => {
  it('keeps the good rows, counts each bad row with its line, and moves its cursor', async () => {
    const first = await b.relay.sources.puller('vendor')!.pullNow();
    // Every 5th row of the export is short a cell (none on the hour: DGA needs those below).
    expect(first.records).toBe((POINTS - 4) * 2);
    expect((await source('vendor')).problems).toEqual([{ reason: 'bad_row', count: 4, lastAt: START, lastDetail: 'line 21: 5 cells, the header has 6' }]);
    // The newest row kept: the last one is bad.
    expect(Number((await source('vendor')).cursor)).toBe(START - 10 * MINUTE);
    expect((await b.relay.sources.puller('vendor')!.pullNow()).records).toBe(0);
  });
});

describe('DGA from provider-fed obras', () => {
  it('derives each hourly slot of every provider-fed obra and sends it to the DGA double', async () => {
    await b.relay.dga!.tick();
    for (let i = 0; i < 10; i++) {
      b.clock.t += MINUTE;
      await b.relay.dga!.tick();
    }
    for (const o of Object.values(OBRAS)) {
      const held = b.dgaSim.measurements(o.code);
      expect(
        held.map((m) => m.horaMedicion),
        o.code,
      ).toEqual(['00:00:00', '01:00:00', '02:00:00', '03:00:00']);
      const flow = flowmeterAt(b.tago.series.model, T0 + 2 * HOUR).flow;
      expect(Math.abs(Number(held[2]?.caudal) - flow), o.code).toBeLessThanOrEqual(0.0051);
    }
  });
});
