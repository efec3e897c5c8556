import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { GatewaySecrets } from '../../cloud/ingest/gateway-secrets.ts';
import { parseRelayKey } from '../../cloud/secrets.ts';
import type { StoredRecord } from '../../protocols/records.ts';
import { testLogger } from '../helpers/logger.ts';
import { startPostgres, type TestPostgres } from '../helpers/postgres.ts';
import { waitFor } from '../helpers/wait.ts';
import type { Bench } from './relay-dga-setup.ts';
import { BOOT, CREDENTIALS, HOUR, MINUTE, readingsEvery10Min, startBench } from './relay-dga-setup.ts';
import { batchOf, get, send } from './relay-setup.ts';

/** The relay's DGA reporting against the DGA simulator (REST and SOAP), on a fake clock shared by both. */
const DAY0 = Date.UTC(2025, 5, 16, 4, 0, 0); // 2025-06-16 00:00 UTC-4
const at = (hour: number, minute = 0, day0 = DAY0): number => day0 + hour * HOUR + minute * MINUTE;
const WELL = {
  code: 'OB-0602-7',
  kind: 'subterranea',
  gateway: 'gw-1',
  device: 'pozo-1',
  channels: { flow: 'flow', totalizer: 'totalizer', waterColumn: 'water_column' },
  sensorDepthM: 60,
  startAt: '2025-06-16T00:00:00-04:00',
  // Sending rules on made-up readings (a constant totalizer under flow): the checks are dga-review-*'s.
  review: { enabled: false },
};

let benches: Bench[] = [];
afterEach(async () => {
  for (const b of benches.reverse()) await b.stop();
  benches = [];
});
async function bench(options: Parameters<typeof startBench>[0]): Promise<Bench> {
  const b = await startBench(options);
  benches.push(b);
  return b;
}

const held = (b: Bench, obra = WELL.code): Array<Record<string, unknown>> =>
  b.sim.measurements(obra).map(({ fechaMedicion, horaMedicion, caudal, totalizador, nivelFreaticoDelPozo, transport }) => ({
    fechaMedicion,
    horaMedicion,
    caudal,
    totalizador,
    nivelFreaticoDelPozo,
    transport,
  }));

describe('relay → DGA simulator', () => {
  it('sends one measurement per hour from readings a gateway synced, in DGA formats, and shows them over HTTP', async () => {
    const b = await bench({ start: at(3, 10), obras: [WELL] });
    const secret = await new GatewaySecrets({ store: b.relay.store, key: parseRelayKey(b.key, 'test'), logger: testLogger() }).provision('gw-1', b.clock.now());
    const records: StoredRecord[] = readingsEvery10Min(at(0), at(3, 10), (t) => {
      const h = (t - DAY0) / HOUR;
      return { flow: 12.345 + h, totalizer: 1000.7 + 10 * h, column: 47.456 };
    }).map((r, i) => ({
      ...r,
      seq: i + 1,
      kind: 'reading',
      device: 'pozo-1',
      unit: r.channel === 'flow' ? 'L/s' : r.channel === 'totalizer' ? 'm3' : 'm',
      quality: 'good',
      exception: null,
      mono: 1000 + i,
      bootId: BOOT,
      priority: 1,
      flags: 0,
    }));
    const ingested = await send(b.url, secret, batchOf('gw-1', records, { sentAt: b.clock.now() }), { timestamp: b.clock.now() });
    expect(ingested.status).toBe(200);

    await b.dga.tick();
    await b.run(20);
    expect(held(b)).toEqual([
      { fechaMedicion: '2025-06-16', horaMedicion: '00:00:00', caudal: '12.35', totalizador: '1000', nivelFreaticoDelPozo: '12.54', transport: 'rest' },
      { fechaMedicion: '2025-06-16', horaMedicion: '01:00:00', caudal: '13.35', totalizador: '1010', nivelFreaticoDelPozo: '12.54', transport: 'rest' },
      { fechaMedicion: '2025-06-16', horaMedicion: '02:00:00', caudal: '14.35', totalizador: '1020', nivelFreaticoDelPozo: '12.54', transport: 'rest' },
      { fechaMedicion: '2025-06-16', horaMedicion: '03:00:00', caudal: '15.35', totalizador: '1030', nivelFreaticoDelPozo: '12.54', transport: 'rest' },
    ]);

    const all = await get(b.url, '/v1/dga', b.token);
    expect(all.status).toBe(200);
    const receipts = b.sim.measurements(WELL.code).map((m) => m.receipt);
    expect(all.body['obras']).toMatchObject([
      {
        obra: WELL.code,
        credentials: true,
        stopped: null,
        counts: { accepted: 4, pending: 0 },
        lastAccepted: { slot: '2025-06-16T03:00:00-04:00', receipt: receipts[3] },
      },
    ]);
    const one = await get(b.url, `/v1/dga/${WELL.code}`, b.token);
    expect((one.body['recent'] as Array<{ receipt: string }>).map((r) => r.receipt)).toEqual([...receipts].reverse());
    expect((await get(b.url, '/v1/dga', null)).status).toBe(401);
    expect(await get(b.url, '/v1/dga/OB-0101-1', b.token)).toMatchObject({ status: 404, body: { error: 'not_found' } });
  });

  it('after a 6-hour outage sends the backlog oldest first, one at a time, 5 minutes apart (no burst is blocked)', async () => {
    const b = await bench({ start: at(6, 5), obras: [WELL], faults: { blockBursts: { windowMs: 5 * MINUTE, maxPerWindow: 1 } } });
    await b.dga.tick();
    expect((await b.dga.status())[0]).toMatchObject({ counts: { missing: 7 }, lateUnsent: 6 });
    // The gateway comes back and syncs what it buffered.
    await b.ingest(readingsEvery10Min(at(0), at(6, 10), (t) => ({ flow: 2, totalizer: 100 + (t - DAY0) / HOUR, column: 50 })));
    await b.run(45);
    const stored = b.sim.measurements(WELL.code);
    expect(stored.map((m) => m.horaMedicion)).toEqual(['00:00:00', '01:00:00', '02:00:00', '03:00:00', '04:00:00', '05:00:00', '06:00:00']);
    const gaps = stored.slice(1).map((m, i) => m.receivedAt - stored[i]!.receivedAt);
    for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(5 * MINUTE);
    expect(b.sim.requests().filter((r) => r.outcome !== 'accepted')).toEqual([]);
  });

  it('reports over the legacy SOAP service too, and checks receipts by reading them back', async () => {
    const soapWell = { ...WELL, code: 'OB-0602-8', interface: 'soap' };
    const b = await bench({ start: at(1, 10), obras: [WELL, soapWell], dga: { verifyReceipts: true, spacingMs: 0 } });
    await b.ingest(readingsEvery10Min(at(0), at(1, 10), () => ({ flow: 1.5, totalizer: 1010, column: 50.2 })));
    await b.run(3);
    const expected = (transport: string): Array<Record<string, unknown>> =>
      ['00:00:00', '01:00:00'].map((h) => ({
        fechaMedicion: '2025-06-16',
        horaMedicion: h,
        caudal: '1.50',
        totalizador: '1010',
        nivelFreaticoDelPozo: '9.80',
        transport,
      }));
    expect(held(b)).toEqual(expected('rest'));
    expect(held(b, soapWell.code)).toEqual(expected('soap'));
    const detail = await b.dga.detail(soapWell.code);
    expect(detail.recent.map((r) => [r.state, r.verification, r.receipt, r.httpStatus])).toEqual(
      b.sim
        .measurements(soapWell.code)
        .reverse()
        .map((m) => ['accepted', 'match', m.receipt, 200]),
    );
    expect((await b.dga.detail(WELL.code)).recent.map((r) => r.verification)).toEqual(['match', 'match']);
  });

  it("resolves a send DGA stored but never answered by the next day's duplicate answer: each measurement held once, its receipt in the relay", async () => {
    const soapWell = { ...WELL, code: 'OB-0602-8', interface: 'soap' };
    const b = await bench({ start: at(1, 10), obras: [WELL, soapWell], faults: { timeoutAfterStore: {} }, dga: { timeoutMs: 750 } });
    await b.ingest(readingsEvery10Min(at(0), at(1, 10), () => ({ flow: 3, totalizer: 20, column: 40 })));
    await b.dga.tick();
    await b.run(5);
    const failed = await b.dga.detail(WELL.code);
    expect(failed.recent.map((r) => [r.state, r.lastOutcome])).toEqual([
      ['failed', 'invalid'],
      ['failed', 'invalid'],
    ]);
    expect(failed.recent[0]?.reason).toMatch(/^no answer within 750 ms/);
    expect((await b.dga.detail(soapWell.code)).recent.map((r) => r.state)).toEqual(['failed', 'failed']);
    await b.sim.setFaults({});
    b.clock.t = at(25, 10);
    await b.run(15);
    for (const obra of [WELL.code, soapWell.code]) {
      const dga = b.sim.measurements(obra);
      expect(dga.map((m) => m.horaMedicion)).toEqual(['00:00:00', '01:00:00']);
      const relay = (await b.dga.detail(obra)).recent.filter((r) => r.state === 'accepted').reverse();
      expect(relay.map((r) => [r.receipt, r.lastOutcome])).toEqual(dga.map((m) => [m.receipt, 'duplicate']));
    }
    expect(
      b.sim
        .requests()
        .filter((r) => r.method === 'POST' && r.obra === WELL.code)
        .map((r) => r.outcome),
    ).toEqual(['stored-unanswered', 'stored-unanswered', 'duplicate', 'duplicate']);
  });

  it.each(['dashed', 'no-data', 'empty'] as const)(
    'takes a success answer with an odd receipt (%s) as accepted, flags it, and never sends it again (issue 14)',
    async (form) => {
      const soapWell = { ...WELL, code: 'OB-0602-8', interface: 'soap' };
      const b = await bench({ start: at(0, 10), obras: [WELL, soapWell], faults: { oddReceipt: { form } }, dga: { spacingMs: 0 } });
      await b.ingest(readingsEvery10Min(at(0), at(0, 10), () => ({ flow: 3, totalizer: 20, column: 40 })));
      await b.dga.tick();
      await b.sim.setFaults({});
      b.clock.t = at(0, 10) + 3 * 24 * HOUR;
      await b.run(3);
      for (const obra of [WELL.code, soapWell.code]) {
        expect(b.sim.measurements(obra)).toHaveLength(1);
        expect(
          b.sim
            .requests()
            .filter((r) => r.obra === obra && r.method !== 'GET')
            .map((r) => r.outcome),
        ).toEqual(['accepted']);
        // REST carries the odd receipt as given; SOAP's schema leaves no-data as an empty receipt.
        const expected = form === 'dashed' ? b.sim.measurements(obra)[0]!.receipt.slice(0, 12).match(/.{4}/g)!.join('-') : null;
        const status = (await b.dga.status(obra))[0];
        expect(status?.problems.filter((p) => p.state !== 'missing')).toEqual([
          expect.objectContaining({
            state: 'accepted',
            receiptIrregular: true,
            receipt: expected,
            lastOutcome: 'accepted-irregular',
            slot: '2025-06-16T00:00:00-04:00',
          }),
        ]);
      }
      const overHttp = await get(b.url, `/v1/dga/${WELL.code}`, b.token);
      expect((overHttp.body['problems'] as Array<Record<string, unknown>>)[0]).toMatchObject({ state: 'accepted', receiptIrregular: true });
    },
  );

  it("retries a proxy's HTML page the next day, and stops an obra DGA says has another informant", async () => {
    const soapWell = { ...WELL, code: 'OB-0602-8', interface: 'soap' };
    const b = await bench({ start: at(0, 10), obras: [WELL, soapWell], faults: { html5xx: { status: 502 } } });
    await b.ingest(readingsEvery10Min(at(0), at(0, 10), () => ({ flow: 3, totalizer: 20, column: 40 })));
    await b.dga.tick();
    for (const obra of [WELL.code, soapWell.code]) {
      expect((await b.dga.detail(obra)).recent).toMatchObject([
        { state: 'failed', lastOutcome: 'invalid', httpStatus: 502, nextAttemptAt: new Date(at(24, 10)).toISOString() },
      ]);
    }
    await b.sim.setFaults({});
    await b.dga.setCredentials(WELL.code, { ...CREDENTIALS, rutUsuario: '11111111-1' });
    await b.dga.retry(WELL.code, at(0));
    await b.dga.retry(soapWell.code, at(0));
    b.clock.t = at(0, 15);
    await b.dga.tick();
    expect((await b.dga.detail(soapWell.code)).recent).toMatchObject([{ state: 'accepted' }]);
    expect(await b.dga.detail(WELL.code)).toMatchObject({
      stopped: { reason: expect.stringContaining('not the informant') },
      recent: [{ state: 'needs-attention', lastOutcome: 'not-informant' }],
    });
    await b.run(10);
    expect(
      b.sim
        .requests()
        .filter((r) => r.obra === WELL.code && r.method === 'POST')
        .map((r) => r.outcome),
    ).toEqual(['proxy-error', 'refused']);
  });

  it('keeps fixed UTC-4 hours across the September 2025 daylight-saving change (no hour skipped or repeated)', async () => {
    const day0 = Date.UTC(2025, 8, 7, 4, 0, 0); // 2025-09-07 00:00 UTC-4, the hour America/Santiago skips
    const b = await bench({ start: at(-4, 0, day0), obras: [{ ...WELL, startAt: '2025-09-06T20:00:00-04:00' }], dga: { spacingMs: 0 } });
    await b.ingest(readingsEvery10Min(at(-4, 0, day0), at(4, 10, day0), () => ({ flow: 1, totalizer: 5, column: 50 })));
    b.clock.t = at(4, 5, day0);
    await b.run(10);
    expect(b.sim.measurements(WELL.code).map((m) => `${m.fechaMedicion} ${m.horaMedicion}`)).toEqual([
      '2025-09-06 20:00:00',
      '2025-09-06 21:00:00',
      '2025-09-06 22:00:00',
      '2025-09-06 23:00:00',
      '2025-09-07 00:00:00',
      '2025-09-07 01:00:00',
      '2025-09-07 02:00:00',
      '2025-09-07 03:00:00',
      '2025-09-07 04:00:00',
    ]);
    expect(b.sim.measurements(WELL.code).map((m) => m.measuredAt)).toEqual(Array.from({ length: 9 }, (_, i) => at(-4 + i, 0, day0)));
  });

  it('unwraps a rolled-over 32-bit totalizer, and reports an hour without readings as missing, never to DGA', async () => {
    const b = await bench({ start: at(3, 10), obras: [{ ...WELL, totalizerWrapAt: 429_496_729.6 }], dga: { spacingMs: 0 } });
    const raw: Record<number, number> = { 0: 429_496_720, 1: 5, 3: 25 };
    await b.ingest(
      readingsEvery10Min(at(0), at(3, 10), (t) => ({ flow: 1, totalizer: raw[Math.round((t - DAY0) / HOUR)] ?? 0, column: 50 })).filter((r) => {
        const h = (r.ts - DAY0) / HOUR;
        return Number.isInteger(h) && h !== 2;
      }),
    );
    await b.run(5);
    // 429496729.6 + 5 = 429496734.6 m³, floored: a total is never reported above what the meter shows.
    expect(b.sim.measurements(WELL.code).map((m) => [m.horaMedicion, m.totalizador])).toEqual([
      ['00:00:00', '429496720'],
      ['01:00:00', '429496734'],
      ['03:00:00', '429496754'],
    ]);
    const detail = await get(b.url, `/v1/dga/${WELL.code}`, b.token);
    expect(detail.body).toMatchObject({ counts: { accepted: 3, missing: 1 }, problems: [{ slot: '2025-06-16T02:00:00-04:00', state: 'missing', late: true }] });
    expect((detail.body['problems'] as Array<{ reason: string }>)[0]?.reason).toMatch(/^caudal: no reading within ±5 min/);
  });
});

describe('relay lifecycle with DGA', () => {
  it('ticks on its schedule and stops cleanly', async () => {
    // node-cron with a seconds field: every second, so the test waits about one.
    const b = await bench({ start: at(1, 10), obras: [WELL], schedule: true, dga: { schedule: '* * * * * *' } });
    await b.ingest(readingsEvery10Min(at(0), at(1, 10), () => ({ flow: 1, totalizer: 2, column: 3 })));
    await waitFor(() => b.sim.measurements(WELL.code).length === 1, 'a scheduled tick to send', 5000);
    await b.relay.stop();
    await b.relay.stop();
    expect(() => b.relay.dga).toThrow();
  });
});

describe('two relays on one PostgreSQL database', () => {
  let postgres: TestPostgres;
  beforeAll(async () => {
    postgres = await startPostgres();
  });
  afterAll(async () => {
    await postgres.stop();
  });

  it('send each measurement once, spaced, whichever relay ticks', async () => {
    const storage = { kind: 'postgres', url: await postgres.newDatabase() };
    const a = await bench({ start: at(3, 5), obras: [WELL], storage, faults: { blockBursts: { windowMs: 5 * MINUTE } } });
    const b = await bench({ start: at(3, 5), obras: [WELL], storage, sim: a.sim, clock: a.clock, key: a.key });
    await a.ingest(readingsEvery10Min(at(0), at(3, 10), () => ({ flow: 4, totalizer: 9, column: 30 })));
    for (let i = 0; i < 25; i++) {
      a.clock.t += MINUTE;
      await Promise.all([a.dga.tick(), b.dga.tick()]);
    }
    expect(a.sim.measurements(WELL.code).map((m) => m.horaMedicion)).toEqual(['00:00:00', '01:00:00', '02:00:00', '03:00:00']);
    expect(a.sim.requests().map((r) => r.outcome)).toEqual(['accepted', 'accepted', 'accepted', 'accepted']);
    expect((await b.dga.status())[0]?.counts.accepted).toBe(4);
  });
});
