/**
 * Extracted volumes and water-right exceedances from stored readings (issue 14 §3), the same
 * suite on SQLite and a throwaway PostgreSQL, then through `GET /v1/dga/<obra>/volumes`.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { dgaConfigSchema } from '../../cloud/dga/config.ts';
import { VolumeService } from '../../cloud/dga/volumes.ts';
import { createRelayDatabase, type RelayDatabase } from '../../cloud/store/index.ts';
import { testLogger } from '../helpers/logger.ts';
import { startPostgres, type TestPostgres } from '../helpers/postgres.ts';
import { type Bench, startBench } from './relay-dga-setup.ts';
import { DAY, flowmeterRecords, MINUTE, WRAP } from './volumes-setup.ts';

const JAN30 = Date.parse('2026-01-30T00:00:00-04:00');
const OBRA = {
  code: 'OB-0602-7',
  kind: 'superficial-flujometro',
  gateway: 'gw-1',
  device: 'canal',
  startAt: '2026-01-30T00:00:00-04:00',
  channels: { flow: 'flow', totalizer: 'totalizer' },
  totalizerWrapAt: WRAP,
  waterRight: { flowLps: 25, annualM3: 3000, tolerancePct: 10 },
};
/** 12.5 L/s, then 30 L/s (over 25 + 10 %) on the second day, then 5 L/s; the register wraps on day one. */
const flow = (t: number): number => (t < JAN30 + DAY ? 12.5 : t < JAN30 + 2 * DAY ? 30 : 5);

let dir: string;
let postgres: TestPostgres | undefined;
let database: RelayDatabase | undefined;
let bench: Bench | undefined;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atalaya-volumes-'));
  postgres = await startPostgres();
});
afterEach(async () => {
  await database?.stop();
  database = undefined;
  await bench?.stop();
  bench = undefined;
});
afterAll(async () => {
  await postgres?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

let files = 0;
const backends = [
  ['sqlite', async () => ({ kind: 'sqlite' as const, path: path.join(dir, `v-${++files}.db`) })],
  ['postgres', async () => ({ kind: 'postgres' as const, url: await postgres!.newDatabase() })],
] as const;

describe.each(backends)('volumes from the %s store', (_name, storage) => {
  it('daily and monthly volumes are exact across a 32-bit rollover; the share of the annual right and exceedances follow', async () => {
    database = createRelayDatabase(await storage(), testLogger());
    await database.start();
    await database.records.addGateway('gw-1', 'sealed', JAN30);
    const records = flowmeterRecords('gw-1', 'canal', JAN30 - 5 * MINUTE, 3 * 1440 + 10, WRAP - 729.6, flow);
    for (let i = 0; i < records.length; i += 2000) {
      const outcome = await database.records.ingest({ gateway: 'gw-1', records: records.slice(i, i + 2000), now: JAN30 + 4 * DAY, clockOffsetMs: 0 });
      expect(outcome.ok).toBe(true);
    }
    const service = new VolumeService({ config: dgaConfigSchema.parse({ obras: [OBRA] }), records: database.records });

    const days = await service.volumes(OBRA.code, { from: JAN30, to: JAN30 + 3 * DAY, granularity: 'day' });
    expect(days.periods.map((p) => [p.label, p.volumeM3, p.shareOfAnnualPct, p.flags])).toEqual([
      ['2026-01-30', 1080, 36, ['rollover']],
      ['2026-01-31', 2592, 86.4, []],
      ['2026-02-01', 432, 14.4, []],
    ]);
    expect(days.totalM3).toBe(4104);
    const months = await service.volumes(OBRA.code, { from: JAN30, to: JAN30 + 3 * DAY, granularity: 'month' });
    // Months are returned whole: the readings 5 minutes either side of the range count too
    // (3.75 m³ read as 3.8 in 0.1 m³ counts before, 1.5 m³ after).
    expect(months.periods.map((p) => [p.label, p.volumeM3, p.flags])).toEqual([
      ['2026-01', 3675.8, ['rollover', 'incomplete']],
      ['2026-02', 433.5, ['incomplete']],
    ]);

    const exceedances = await service.exceedances(OBRA.code, JAN30, JAN30 + 3 * DAY);
    // Flow: every reading of day two (30 > 27.5 L/s); the year (its readings so far: 4104 m³ and
    // the 5 minutes either side) passes 3300 m³ during day two.
    expect(exceedances).toEqual([
      { obra: OBRA.code, kind: 'flow', from: JAN30 + DAY, to: JAN30 + 2 * DAY - MINUTE, value: 30, limit: 27.5 },
      { obra: OBRA.code, kind: 'annual-volume', from: expect.any(Number), to: null, value: 4109.3, limit: 3300 },
    ]);
    const crossed = exceedances[1]!.from;
    // 1083.8 m³ by the end of day one (with the 5 minutes before it), then 1.8 m³ a minute:
    // 3300 m³ is passed 1232 minutes into day two.
    expect(crossed).toBe(JAN30 + DAY + 1232 * MINUTE);
  });
});

describe('GET /v1/dga/<obra>/volumes', () => {
  it('answers JSON and CSV behind the operator token, refuses a bad range and an unknown obra', async () => {
    const b = (bench = await startBench({ start: JAN30 + 4 * DAY, obras: [{ ...OBRA, device: 'pozo-1' }] }));
    // 12.5 L/s, and 30 L/s (over 25 + 10 %) from 10:00 to 11:00: 1080 + 63 m³.
    const surge = (t: number): number => (t >= JAN30 + 10 * 3_600_000 && t < JAN30 + 11 * 3_600_000 ? 30 : 12.5);
    await b.ingest(flowmeterRecords('gw-1', 'pozo-1', JAN30, 1440, 100, surge, 10).map(({ channel, value, ts }) => ({ channel, value, ts })));
    const get = (p: string, token = b.token): Promise<Response> => fetch(`${b.url}${p}`, { headers: { authorization: `Bearer ${token}` } });
    const q = `from=${encodeURIComponent('2026-01-30T00:00:00-04:00')}&to=${encodeURIComponent('2026-01-31T00:00:00-04:00')}`;

    const json = await get(`/v1/dga/${OBRA.code}/volumes?${q}`);
    expect(json.status).toBe(200);
    const body = (await json.json()) as { periods: Array<{ label: string; volumeM3: number; shareOfAnnualPct: number }>; timeZone: string };
    expect(body.timeZone).toBe('UTC-04:00');
    expect(body.periods).toMatchObject([{ label: '2026-01-30', volumeM3: 1143, shareOfAnnualPct: 38.1 }]);

    const csv = await get(`/v1/dga/${OBRA.code}/volumes.csv?${q}&granularity=month`);
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(await csv.text()).toBe(
      'obra,period,start,end,volume_m3,share_of_annual_pct,readings,flags\r\n' +
        'OB-0602-7,2026-01,2026-01-01T04:00:00.000Z,2026-02-01T04:00:00.000Z,1143,38.1,145,incomplete\r\n',
    );

    // The hour at 30 L/s is an exceedance of the granted flow, as the alerting polls it.
    const exceedances = await get(`/v1/dga/${OBRA.code}/exceedances?${q}`);
    expect(exceedances.status).toBe(200);
    expect(await exceedances.json()).toEqual({
      obra: OBRA.code,
      exceedances: [{ obra: OBRA.code, kind: 'flow', from: '2026-01-30T14:00:00.000Z', to: '2026-01-30T14:50:00.000Z', value: 30, limit: 27.5 }],
    });

    expect((await get(`/v1/dga/${OBRA.code}/volumes?${q}`, 'wrong')).status).toBe(401);
    expect((await get(`/v1/dga/${OBRA.code}/volumes?from=2&to=1`)).status).toBe(400);
    expect((await get(`/v1/dga/${OBRA.code}/volumes?${q}&granularity=week`)).status).toBe(400);
    expect((await get(`/v1/dga/OB-0602-1/volumes?${q}`)).status).toBe(404);
  });
});
