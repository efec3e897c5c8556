import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import type { DgaSimulatorOptions } from '../../simulators/dga/options.ts';
import { DgaSimulator } from '../../simulators/dga/simulator.ts';
import type { RegistryEntry } from '../../simulators/dga/types.ts';
import { INFORMANT_MESSAGE } from '../../simulators/dga/types.ts';
import { testLogger } from '../helpers/logger.ts';

// Valid mod-11 RUTs (the manual's example 20999888-7 / 77555666-7 fail the check digit).
const INFORMANT = '20999888-2';
const EMPRESA = '77555666-8';
const OTHER_RUT = '11111111-1';
const REGISTRY: RegistryEntry[] = [
  { obra: 'OB-0602-7', kind: 'subterranea', informantRut: INFORMANT, rutEmpresa: EMPRESA, password: 'secreto' },
  { obra: 'OB-0101-108', kind: 'superficial-flujometro', informantRut: INFORMANT, rutEmpresa: EMPRESA, password: 'secreto' },
  { obra: 'OB-0101-103', kind: 'superficial', informantRut: INFORMANT, rutEmpresa: EMPRESA, password: 'secreto' },
  { obra: 'OB-0401-9', kind: 'subterranea', informantRut: INFORMANT, rutEmpresa: EMPRESA, password: 'secreto', allowEmptyLevel: true },
];

/** 2025-06-16 14:00 UTC = 10:00 in UTC-4 (winter: America/Santiago is UTC-4 too). */
const clock = {
  t: Date.UTC(2025, 5, 16, 14, 0, 0),
  now(): number {
    return this.t;
  },
  monotonic(): number {
    return this.t;
  },
};
let sim: DgaSimulator | undefined;

afterEach(async () => {
  await sim?.stop();
  sim = undefined;
});

async function startSim(extra: Partial<DgaSimulatorOptions> = {}): Promise<DgaSimulator> {
  clock.t = Date.UTC(2025, 5, 16, 14, 0, 0);
  sim = new DgaSimulator({ rest: { host: '127.0.0.1', port: 0 }, clock, logger: testLogger(), registry: REGISTRY, seed: 7, ...extra });
  await sim.start();
  return sim;
}

type Json = Record<string, unknown>;
const auth = (over: Json = {}): Json => ({ password: 'secreto', rutEmpresa: EMPRESA, rutUsuario: INFORMANT, ...over });
const pozo = (over: Json = {}): Json => ({
  caudal: '15.30',
  fechaMedicion: '2025-06-16',
  horaMedicion: '09:00:00',
  nivelFreaticoDelPozo: '9.80',
  totalizador: '1010',
  ...over,
});
const headers = (obra = 'OB-0602-7'): Record<string, string> => ({
  'content-type': 'application/json',
  codigoObra: obra,
  timeStampOrigen: '2025-06-16T10:00:05-0000',
});

async function post(path: string, body: unknown, h: Record<string, string> = headers()): Promise<{ status: number; json: Json }> {
  const r = await request(`${sim!.restUrl}${path}`, { method: 'POST', headers: h, body: typeof body === 'string' ? body : JSON.stringify(body) });
  return { status: r.statusCode, json: (await r.body.json()) as Json };
}
const postPozo = (m: Json = {}, a: Json = {}, h?: Record<string, string>): Promise<{ status: number; json: Json }> =>
  post('/mediciones/subterraneas', { autenticacion: auth(a), medicionSubterranea: pozo(m) }, h);

async function get(path: string, query: string): Promise<{ status: number; json: Json }> {
  const r = await request(`${sim!.restUrl}${path}?${query}`);
  return { status: r.statusCode, json: (await r.body.json()) as Json };
}

describe('DGA simulator, REST: accepted measurements', () => {
  it('answers each kind with its message and a unique 32-alphanumeric receipt', async () => {
    await startSim();
    const answers = [
      await postPozo(),
      await post(
        '/mediciones/superficiales/flujometro',
        { autenticacion: auth(), medicionSuperficialFlujometro: { caudal: '15.31', fechaMedicion: '2025-06-16', horaMedicion: '09:00:00', totalizador: '50' } },
        headers('OB-0101-108'),
      ),
      await post(
        '/mediciones/superficiales',
        { autenticacion: auth(), medicionSuperficial: { alturaLimnimetrica: '5', caudal: '16.54', fechaMedicion: '2025-06-16', horaMedicion: '09:00:00' } },
        headers('OB-0101-103'),
      ),
    ];
    expect(answers.map((a) => [a.status, a.json['status'], a.json['message']])).toEqual([
      [200, '00', 'Medición subterránea ingresada correctamente'],
      [200, '00', 'Medición superficial con flujómetro ingresada correctamente'],
      [200, '00', 'Medición superficial ingresada correctamente'],
    ]);
    for (let h = 0; h < 9; h++) answers.push(await postPozo({ horaMedicion: `0${h}:00:00`, fechaMedicion: '2025-06-15' }));
    const receipts = answers.map((a) => (a.json['data'] as Json)['numeroComprobante'] as string);
    for (const r of receipts) expect(r).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(new Set(receipts).size).toBe(receipts.length);
    expect(sim!.measurements('OB-0602-7')).toHaveLength(10);
    expect(sim!.measurements('OB-0602-7')[0]).toMatchObject({ caudal: '15.30', fechaMedicion: '2025-06-16', horaMedicion: '09:00:00', receipt: receipts[0] });
  });

  it('answers a second send of the same obra, date and hour as a duplicate naming the original receipt', async () => {
    await startSim();
    const first = await postPozo();
    const receipt = (first.json['data'] as Json)['numeroComprobante'];
    const again = await postPozo({ caudal: '99.00' });
    expect(again.status).toBe(400);
    expect(again.json['status']).not.toBe('00');
    expect(again.json['message']).toBe(`Ya existe un registro en esa fecha, hora para la obra. Comprobante: ${receipt}`);
    expect(sim!.measurements('OB-0602-7').map((m) => m.caudal)).toEqual(['15.30']);
    expect(sim!.requests().map((r) => r.outcome)).toEqual(['accepted', 'duplicate']);
  });

  it('gives a measurement back by receipt with DD-MM-YYYY dates and trailing zeros stripped', async () => {
    await startSim();
    const sent = await postPozo({ caudal: '1.00', nivelFreaticoDelPozo: '9.50', totalizador: '1010' });
    const receipt = (sent.json['data'] as Json)['numeroComprobante'] as string;
    const back = await get('/mediciones/subterraneas', `codigoObra=OB-0602-7&numeroComprobante=${receipt}`);
    expect(back).toEqual({
      status: 200,
      json: {
        status: '00',
        message: '',
        data: { fechaMedicion: '16-06-2025', horaMedicion: '09:00:00', caudal: '1', totalizador: '1010', nivelFreaticoDelPozo: '9.5' },
      },
    });
    const flujo = await post(
      '/mediciones/superficiales/flujometro',
      { autenticacion: auth(), medicionSuperficialFlujometro: { caudal: '15.30', fechaMedicion: '2025-06-16', horaMedicion: '08:00:00', totalizador: '500' } },
      headers('OB-0101-108'),
    );
    const r2 = (flujo.json['data'] as Json)['numeroComprobante'] as string;
    expect((await get('/mediciones/superficiales/flujometro', `codigoObra=OB-0101-108&numeroComprobante=${r2}`)).json['data']).toEqual({
      caudal: '15.3',
      fechaMedicion: '16-06-2025',
      horaMedicion: '08:00:00',
      totalizador: '500',
    });
    // Another obra's receipt, another kind's path, a missing parameter.
    expect((await get('/mediciones/subterraneas', `codigoObra=OB-0401-9&numeroComprobante=${receipt}`)).json['status']).toBe('11');
    expect((await get('/mediciones/superficiales/flujometro', `codigoObra=OB-0602-7&numeroComprobante=${receipt}`)).status).toBe(404);
    expect(await get('/mediciones/subterraneas', 'codigoObra=OB-0602-7')).toMatchObject({ status: 400, json: { status: '01' } });
  });

  it('reads timeStampOrigen leniently and accepts an empty level only where the obra may omit it', async () => {
    await startSim();
    const stamps = ['2025-06-16T10:00:05-0000', '2025-06-16T10:00:05-04:00', '2025-06-16T10:00:05-0400', '2025-06-16T14:00:05Z', '2025-06-16T10:00:05'];
    for (const [i, stamp] of stamps.entries()) {
      const r = await postPozo({ horaMedicion: `0${i}:00:00` }, {}, { ...headers(), timeStampOrigen: stamp });
      expect(r.json['status'], stamp).toBe('00');
    }
    const empty = await postPozo({ nivelFreaticoDelPozo: '', horaMedicion: '07:00:00' }, {}, headers('OB-0401-9'));
    expect(empty.json['status']).toBe('00');
    expect(
      (await get('/mediciones/subterraneas', `codigoObra=OB-0401-9&numeroComprobante=${(empty.json['data'] as Json)['numeroComprobante']}`)).json['data'],
    ).toMatchObject({ nivelFreaticoDelPozo: '' });
  });
});

describe('DGA simulator, REST: refusals', () => {
  type Case = [name: string, send: () => Promise<{ status: number; json: Json }>, http: number, status: string, mentions: string];
  const cases: Case[] = [
    ['wrong content type', () => postPozo({}, {}, { ...headers(), 'content-type': 'text/plain' }), 400, '01', 'Content-Type'],
    [
      'no codigoObra header',
      () => postPozo({}, {}, { 'content-type': 'application/json', timeStampOrigen: '2025-06-16T10:00:05-0000' }),
      400,
      '01',
      'codigoObra',
    ],
    ['malformed codigoObra', () => postPozo({}, {}, headers('OB-602-7')), 400, '01', 'codigoObra'],
    ['no timeStampOrigen', () => postPozo({}, {}, { 'content-type': 'application/json', codigoObra: 'OB-0602-7' }), 400, '01', 'timeStampOrigen'],
    ['unparseable timeStampOrigen', () => postPozo({}, {}, { ...headers(), timeStampOrigen: '16/06/2025 10:00' }), 400, '01', 'timeStampOrigen'],
    ['body not JSON', () => post('/mediciones/subterraneas', '{"autenticacion":'), 400, '02', 'JSON'],
    ['unknown top-level key', () => post('/mediciones/subterraneas', { autenticacion: auth(), medicionSubterranea: pozo(), extra: '1' }), 400, '02', 'extra'],
    ["another kind's key", () => post('/mediciones/subterraneas', { autenticacion: auth(), medicionSuperficial: pozo() }), 400, '02', 'medicionSuperficial'],
    ['unknown authentication key', () => postPozo({}, { usuario: 'x' }), 400, '02', 'autenticacion.usuario'],
    [
      'missing measurement key',
      () =>
        post('/mediciones/subterraneas', {
          autenticacion: auth(),
          medicionSubterranea: { caudal: '1.00', fechaMedicion: '2025-06-16', horaMedicion: '09:00:00', totalizador: '1' },
        }),
      400,
      '02',
      'nivelFreaticoDelPozo',
    ],
    ['number instead of string', () => postPozo({ caudal: 15.3 }), 400, '02', 'caudal'],
    ['caudal with one decimal', () => postPozo({ caudal: '15.3' }), 400, '03', 'caudal'],
    ['caudal with a comma', () => postPozo({ caudal: '15,30' }), 400, '03', 'caudal'],
    ['totalizador with decimals', () => postPozo({ totalizador: '1010.0' }), 400, '03', 'totalizador'],
    ['totalizador over 15 characters', () => postPozo({ totalizador: '1234567890123456' }), 400, '03', 'totalizador'],
    ['negative level', () => postPozo({ nivelFreaticoDelPozo: '-1.00' }), 400, '03', 'nivelFreaticoDelPozo'],
    ['empty level where not allowed', () => postPozo({ nivelFreaticoDelPozo: '' }), 400, '03', 'nivelFreaticoDelPozo'],
    ['date as DD-MM-YYYY', () => postPozo({ fechaMedicion: '16-06-2025' }), 400, '03', 'fechaMedicion'],
    ['impossible date', () => postPozo({ fechaMedicion: '2025-02-30' }), 400, '03', 'fechaMedicion'],
    ['hour without seconds', () => postPozo({ horaMedicion: '09:00' }), 400, '03', 'horaMedicion'],
    ['hour 24', () => postPozo({ horaMedicion: '24:00:00' }), 400, '03', 'horaMedicion'],
    ['rutUsuario check digit', () => postPozo({}, { rutUsuario: '20999888-7' }), 400, '03', 'rutUsuario'],
    ['rutEmpresa with dots', () => postPozo({}, { rutEmpresa: '77.555.666-8' }), 400, '03', 'rutEmpresa'],
    ['obra not registered', () => postPozo({}, {}, headers('OB-0101-1')), 400, '05', 'OB-0101-1'],
    ['obra of another kind', () => postPozo({}, {}, headers('OB-0101-108')), 400, '06', 'OB-0101-108'],
    ['wrong password', () => postPozo({}, { password: 'otra' }), 401, '07', 'password'],
    ['another Centro de Control', () => postPozo({}, { rutEmpresa: OTHER_RUT }), 400, '08', 'rutEmpresa'],
  ];

  it.each(cases)('%s', async (_name, send, http, status, mentions) => {
    await startSim();
    const r = await send();
    expect(r.status).toBe(http);
    expect(r.json['status']).toBe(status);
    expect(String(r.json['message'])).toContain(mentions);
    expect(sim!.measurements('OB-0602-7')).toEqual([]);
    expect(sim!.requests().at(-1)).toMatchObject({ outcome: 'refused', httpStatus: http, status });
  });

  it('refuses an informant not registered for the obra with the real message', async () => {
    await startSim();
    const r = await postPozo({}, { rutUsuario: OTHER_RUT });
    expect(r).toEqual({ status: 400, json: { status: '09', message: INFORMANT_MESSAGE } });
  });

  it('answers with the configured status of a failure', async () => {
    await startSim({ statuses: { informant: { http: 403, status: '77' }, duplicate: { status: '55' } } });
    expect(await postPozo({}, { rutUsuario: OTHER_RUT })).toEqual({ status: 403, json: { status: '77', message: INFORMANT_MESSAGE } });
    await postPozo();
    expect(await postPozo()).toMatchObject({ status: 400, json: { status: '55' } });
  });
});

describe('DGA simulator, REST: fixed UTC-4 and no future measurements', () => {
  // Chile's 2025 DST began on Sunday 2025-09-07 at 00:00 (America/Santiago went to UTC-3);
  // DGA stays on UTC-4 (Res. 2.170/2025).
  it('reads date and hour in UTC-4 on both sides of the DST change and refuses the future', async () => {
    await startSim();
    clock.t = Date.UTC(2025, 8, 6, 13, 30, 0); // Sat 09:30 UTC-4 = 09:30 Santiago
    expect((await postPozo({ fechaMedicion: '2025-09-06', horaMedicion: '09:00:00' })).json['status']).toBe('00');
    expect((await postPozo({ fechaMedicion: '2025-09-06', horaMedicion: '10:00:00' })).json['status']).toBe('04');

    clock.t = Date.UTC(2025, 8, 7, 13, 30, 0); // Sun 09:30 UTC-4 = 10:30 Santiago (UTC-3)
    expect((await postPozo({ fechaMedicion: '2025-09-07', horaMedicion: '09:00:00' })).json['status']).toBe('00');
    expect((await postPozo({ fechaMedicion: '2025-09-07', horaMedicion: '09:30:00' })).json['status']).toBe('00');
    // What a client on America/Santiago time would send for 13:00Z: an hour in the future for DGA.
    const santiago = await postPozo({ fechaMedicion: '2025-09-07', horaMedicion: '10:00:00' });
    expect(santiago).toMatchObject({ status: 400, json: { status: '04' } });
    expect(String(santiago.json['message'])).toContain('horaMedicion');
    expect((await postPozo({ fechaMedicion: '2025-09-07', horaMedicion: '09:30:01' })).json['status']).toBe('04');

    clock.t = Date.UTC(2025, 8, 8, 2, 30, 0); // 22:30 of the 7th in UTC-4, 23:30 in Santiago, the 8th in UTC
    expect((await postPozo({ fechaMedicion: '2025-09-07', horaMedicion: '22:00:00' })).json['status']).toBe('00');
    expect((await postPozo({ fechaMedicion: '2025-09-08', horaMedicion: '00:00:00' })).json['status']).toBe('04');

    const held = sim!.measurements('OB-0602-7');
    expect(held.map((m) => [m.fechaMedicion, m.horaMedicion, new Date(m.measuredAt).toISOString()])).toEqual([
      ['2025-09-06', '09:00:00', '2025-09-06T13:00:00.000Z'],
      ['2025-09-07', '09:00:00', '2025-09-07T13:00:00.000Z'],
      ['2025-09-07', '09:30:00', '2025-09-07T13:30:00.000Z'],
      ['2025-09-07', '22:00:00', '2025-09-08T02:00:00.000Z'],
    ]);
  });
});
