import { describe, expect, it } from 'vitest';
import type { Measurement, RestRequestInput } from '../../protocols/dga/index.ts';
import {
  ATALAYA_DGA_ARGUMENT,
  ATALAYA_DGA_OBRA,
  ATALAYA_DGA_RUT,
  ATALAYA_DGA_TIME,
  ATALAYA_DGA_VALUE,
  buildRestQuery,
  buildRestRequest,
  isDgaError,
  measurementDifferences,
  parseRestAnswer,
  parseRestQueryAnswer,
  sameMeasurement,
} from '../../protocols/dga/index.ts';

const utc = (y: number, mo: number, d: number, h = 0, mi = 0, s = 0): number => Date.UTC(y, mo - 1, d, h, mi, s);
const RECEIPT = 'zk7DOAl3uIlGTjvwNtwBF0sBLAR16cI5';
// The manual's example RUTs 77555666-7 / 20999888-7 fail the mod-11 check (see dga-identity); these
// are the same bodies with their correct check digits.
const credentials = { password: '9A4PUqd1t4', rutEmpresa: '77555666-8', rutUsuario: '20999888-2' };
const AUTH = '{"autenticacion":{"password":"9A4PUqd1t4","rutEmpresa":"77555666-8","rutUsuario":"20999888-2"}';

function input(kind: RestRequestInput['kind'], measurement: Measurement, obra = 'OB-0101-114'): RestRequestInput {
  return { kind, obra, credentials, measurement, sentAt: measurement.at + 5 * 60_000 };
}

function refusal(fn: () => unknown): { code: string; field: unknown } | undefined {
  try {
    fn();
  } catch (err) {
    if (!isDgaError(err)) throw err;
    return { code: err.code, field: err.details?.['field'] ?? err.details?.['what'] };
  }
  return undefined;
}

describe('REST POST bodies, byte for byte against the manual (Res. 2.170/2025 §4)', () => {
  it('subterránea', () => {
    const req = buildRestRequest(input('subterranea', { at: utc(2023, 9, 7, 14), caudal: 1, totalizador: 1010, nivelFreatico: 9.85 }));
    expect(req.path).toBe('/mediciones/subterraneas');
    expect(JSON.stringify(req.body)).toBe(
      `${AUTH},"medicionSubterranea":{"caudal":"1.00","fechaMedicion":"2023-09-07","horaMedicion":"10:00:00","nivelFreaticoDelPozo":"9.85","totalizador":"1010"}}`,
    );
    expect(req.headers).toEqual({ 'content-type': 'application/json', codigoObra: 'OB-0101-114', timeStampOrigen: '2023-09-07T10:05:00-0000' });
  });

  it('superficial con flujómetro', () => {
    const req = buildRestRequest(input('superficial-flujometro', { at: utc(2023, 9, 7, 13), caudal: 15.31, totalizador: 50 }, 'OB-0101-108'));
    expect(req.path).toBe('/mediciones/superficiales/flujometro');
    expect(JSON.stringify(req.body)).toBe(
      `${AUTH},"medicionSuperficialFlujometro":{"caudal":"15.31","fechaMedicion":"2023-09-07","horaMedicion":"09:00:00","totalizador":"50"}}`,
    );
  });

  it('superficial', () => {
    const req = buildRestRequest(input('superficial', { at: utc(2023, 9, 7, 13), caudal: 16.54, alturaLimnimetrica: 5 }, 'OB-0101-103'));
    expect(req.path).toBe('/mediciones/superficiales');
    expect(JSON.stringify(req.body)).toBe(
      `${AUTH},"medicionSuperficial":{"alturaLimnimetrica":"5","caudal":"16.54","fechaMedicion":"2023-09-07","horaMedicion":"09:00:00"}}`,
    );
  });

  it('dates a September 2025 measurement on the UTC-4 clock (Santiago shows 11:00)', () => {
    const req = buildRestRequest(input('subterranea', { at: utc(2025, 9, 7, 14), caudal: 15.31, totalizador: 1010, nivelFreatico: 9.85 }));
    expect(req.body.medicionSubterranea).toMatchObject({ fechaMedicion: '2025-09-07', horaMedicion: '10:00:00' });
  });

  it('sends the level or staff gauge empty ("") only on the grounds the manual names', () => {
    const at = utc(2025, 1, 1, 4);
    for (const emptyGround of ['muy-pequenos', 'aguas-del-minero'] as const) {
      const well = buildRestRequest({ ...input('subterranea', { at, caudal: 0.2, totalizador: 7 }), emptyGround });
      expect(well.body.medicionSubterranea?.nivelFreaticoDelPozo).toBe('');
    }
    for (const emptyGround of ['muy-pequenos', 'compuerta-automatizada'] as const) {
      const gate = buildRestRequest({ ...input('superficial', { at, caudal: 120, alturaLimnimetrica: null }), emptyGround });
      expect(gate.body.medicionSuperficial?.alturaLimnimetrica).toBe('');
    }
  });

  it('refuses to build an empty level or staff gauge without one of those grounds (issue 14: a mayor well sent "")', () => {
    const at = utc(2025, 1, 1, 4);
    expect(refusal(() => buildRestRequest(input('subterranea', { at, caudal: 0.2, totalizador: 7 })))).toEqual({
      code: ATALAYA_DGA_VALUE,
      field: 'nivelFreatico',
    });
    expect(refusal(() => buildRestRequest({ ...input('subterranea', { at, caudal: 0.2, totalizador: 7 }), emptyGround: 'compuerta-automatizada' }))).toEqual({
      code: ATALAYA_DGA_VALUE,
      field: 'nivelFreatico',
    });
    expect(refusal(() => buildRestRequest(input('superficial', { at, caudal: 120, alturaLimnimetrica: null })))).toEqual({
      code: ATALAYA_DGA_VALUE,
      field: 'alturaLimnimetrica',
    });
    expect(refusal(() => buildRestRequest({ ...input('superficial', { at, caudal: 120 }), emptyGround: 'aguas-del-minero' }))).toEqual({
      code: ATALAYA_DGA_VALUE,
      field: 'alturaLimnimetrica',
    });
  });

  it('normalizes RUTs and makes every leaf a string', () => {
    const req = buildRestRequest({
      ...input('subterranea', { at: utc(2025, 1, 1, 4), caudal: 1, totalizador: 2, nivelFreatico: 3 }),
      credentials: { ...credentials, rutUsuario: '20.999.888-2', rutEmpresa: '77.555.666-8' },
    });
    expect(req.body.autenticacion).toEqual(credentials);
    const leaves = (v: unknown): unknown[] => (typeof v === 'object' && v !== null ? Object.values(v).flatMap(leaves) : [v]);
    expect(leaves(req.body).every((v) => typeof v === 'string')).toBe(true);
  });

  it('refuses what DGA would refuse, with a code and the field', () => {
    const at = utc(2025, 1, 1, 4);
    const ok = input('subterranea', { at, caudal: 1, totalizador: 2, nivelFreatico: 3 });
    expect(refusal(() => buildRestRequest({ ...ok, measurement: { at, totalizador: 2 } }))).toEqual({ code: ATALAYA_DGA_VALUE, field: 'caudal' });
    expect(refusal(() => buildRestRequest({ ...ok, measurement: { at, caudal: 1, nivelFreatico: 3 } }))).toEqual({
      code: ATALAYA_DGA_VALUE,
      field: 'totalizador',
    });
    expect(refusal(() => buildRestRequest({ ...ok, measurement: { at, caudal: -1, totalizador: 2 } }))).toEqual({ code: ATALAYA_DGA_VALUE, field: 'caudal' });
    expect(refusal(() => buildRestRequest({ ...ok, kind: 'superficial', measurement: { at, caudal: 1, totalizador: 2, alturaLimnimetrica: 3 } }))).toEqual({
      code: ATALAYA_DGA_VALUE,
      field: 'totalizador',
    });
    expect(
      refusal(() => buildRestRequest({ ...ok, kind: 'superficial-flujometro', measurement: { at, caudal: 1, totalizador: 2, nivelFreatico: 3 } })),
    ).toEqual({ code: ATALAYA_DGA_VALUE, field: 'nivelFreatico' });
    expect(refusal(() => buildRestRequest({ ...ok, credentials: { ...credentials, rutUsuario: '20999888-7' } }))).toEqual({
      code: ATALAYA_DGA_RUT,
      field: 'credentials.rutUsuario',
    });
    expect(refusal(() => buildRestRequest({ ...ok, credentials: { ...credentials, rutEmpresa: '' } }))).toEqual({
      code: ATALAYA_DGA_RUT,
      field: 'credentials.rutEmpresa',
    });
    expect(refusal(() => buildRestRequest({ ...ok, credentials: { ...credentials, password: '' } }))).toEqual({
      code: ATALAYA_DGA_ARGUMENT,
      field: 'credentials.password',
    });
    expect(refusal(() => buildRestRequest({ ...ok, obra: 'OB-602-7' }))?.code).toBe(ATALAYA_DGA_OBRA);
    expect(refusal(() => buildRestRequest({ ...ok, sentAt: at - 1 }))).toEqual({ code: ATALAYA_DGA_TIME, field: 'measurement.at' });
    expect(refusal(() => buildRestRequest({ ...ok, kind: 'pozo' as 'subterranea' }))).toEqual({ code: ATALAYA_DGA_ARGUMENT, field: 'kind' });
  });
});

describe('REST GET (receipt check)', () => {
  it('builds the manual query for each kind', () => {
    expect(buildRestQuery('subterranea', 'OB-0101-114', RECEIPT)).toBe(`/mediciones/subterraneas?codigoObra=OB-0101-114&numeroComprobante=${RECEIPT}`);
    expect(buildRestQuery('superficial-flujometro', 'OB-0101-108', RECEIPT)).toBe(
      `/mediciones/superficiales/flujometro?codigoObra=OB-0101-108&numeroComprobante=${RECEIPT}`,
    );
    expect(buildRestQuery('superficial', 'OB-0101-103', RECEIPT)).toBe(`/mediciones/superficiales?codigoObra=OB-0101-103&numeroComprobante=${RECEIPT}`);
    expect(refusal(() => buildRestQuery('superficial', 'OB-0101-103', RECEIPT.slice(1)))?.code).toBe(ATALAYA_DGA_ARGUMENT);
    expect(refusal(() => buildRestQuery('superficial', 'OB-0101-103', `${RECEIPT.slice(1)}&`))?.code).toBe(ATALAYA_DGA_ARGUMENT);
  });

  const sent = buildRestRequest(input('subterranea', { at: utc(2023, 9, 7, 14), caudal: 1, totalizador: 1010, nivelFreatico: 9.85 })).body.medicionSubterranea;

  it('reads the manual answer (DD-MM-YYYY) and matches what was sent, trailing zeros stripped or not', () => {
    const text = `{"status":"00","message":"","data":{"fechaMedicion":"07-09-2023","horaMedicion":"10:00:00","caudal":"1","totalizador":"1010","nivelFreaticoDelPozo":"9.850"}}`;
    const answer = parseRestQueryAnswer(200, 'application/json', text);
    expect(answer).toEqual({
      kind: 'found',
      measurement: { caudal: '1', fechaMedicion: '2023-09-07', horaMedicion: '10:00:00', nivelFreaticoDelPozo: '9.850', totalizador: '1010' },
    });
    if (answer.kind !== 'found' || sent === undefined) throw new Error('unreachable');
    expect(sameMeasurement(sent, answer.measurement)).toBe(true);
    expect(sameMeasurement(sent, { ...answer.measurement, caudal: '1.01' })).toBe(false);
    expect(measurementDifferences(sent, { ...answer.measurement, fechaMedicion: '08-09-2023', horaMedicion: '11:00:00', nivelFreaticoDelPozo: '' })).toEqual([
      'fechaMedicion',
      'horaMedicion',
      'nivelFreaticoDelPozo',
    ]);
  });

  it('reads the surface answers, numbers tolerated where strings are documented', () => {
    const surface = parseRestQueryAnswer(
      200,
      'application/json; charset=utf-8',
      '{"status":"00","message":"","data":{"alturaLimnimetrica":5,"caudal":"16.54","fechaMedicion":"07-09-2023","horaMedicion":"9:00:00"}}',
    );
    expect(surface).toEqual({
      kind: 'found',
      measurement: { alturaLimnimetrica: '5', caudal: '16.54', fechaMedicion: '2023-09-07', horaMedicion: '09:00:00' },
    });
  });

  it('reports rejections and answers it cannot read', () => {
    expect(parseRestQueryAnswer(404, 'application/json', '{"status":"02","message":"Comprobante no existe"}')).toEqual({
      kind: 'rejected',
      status: 404,
      code: '02',
      message: 'Comprobante no existe',
    });
    expect(
      parseRestQueryAnswer(200, 'application/json', '{"status":"00","message":"","data":{"fechaMedicion":"2023/09/07","horaMedicion":"10:00:00"}}').kind,
    ).toBe('invalid');
    expect(parseRestQueryAnswer(200, 'application/json', '{"status":"00","message":""}').kind).toBe('invalid');
    expect(parseRestQueryAnswer(502, 'text/html', '<html>Bad gateway</html>').kind).toBe('invalid');
  });
});

describe('REST POST answers', () => {
  const dup = `Ya existe un registro en esa fecha, hora para la obra. Comprobante: ${RECEIPT}`;

  it('accepts the manual success answer', () => {
    const text = `{"status":"00","message":"Medición subterránea ingresada correctamente","data":{"numeroComprobante":"${RECEIPT}"}}`;
    expect(parseRestAnswer(200, 'application/json', text)).toEqual({ kind: 'accepted', receipt: RECEIPT });
    expect(parseRestAnswer(200, undefined, text)).toEqual({ kind: 'accepted', receipt: RECEIPT });
  });

  it.each([
    dup,
    `YA EXISTE UN REGISTRO EN ESA FECHA, HORA PARA LA OBRA. COMPROBANTE: ${RECEIPT}`,
    `  ya  existe un registro en ésa fecha,hora para la obra.\nComprobante:${RECEIPT}.`,
    `Ya existe un registro en esa fecha y hora para la obra (comprobante ${RECEIPT})`,
  ])('takes a duplicate as sent and keeps the receipt: %j', (message) => {
    expect(parseRestAnswer(400, 'application/json', JSON.stringify({ status: '01', message, data: null }))).toEqual({ kind: 'duplicate', receipt: RECEIPT });
  });

  it.each([
    [200, '{"status":"00","message":"ok","data":{"numeroComprobante":"A1B2-C3D4-E5F6"}}', 'A1B2-C3D4-E5F6'],
    [200, `{"status":"00","data":{"numeroComprobante":"${RECEIPT.slice(1)}"}}`, RECEIPT.slice(1)],
    [200, '{"status":"00","message":"ok","data":{}}', null],
    [200, '{"status":"00","message":"Medición subterránea ingresada correctamente"}', null],
    [200, '{"status":"00","data":{"numeroComprobante":""}}', null],
    [200, '{"status":"00","data":{"numeroComprobante":12345}}', null],
    [500, `{"status":"00","data":{"numeroComprobante":"${RECEIPT}"}}`, RECEIPT],
  ])('takes status "00" as accepted even when odd (HTTP %s %s), receipt kept as given and flagged', (status, text, receipt) => {
    expect(parseRestAnswer(status, 'application/json', text)).toEqual({
      kind: 'accepted-irregular',
      receipt,
      reason: expect.stringContaining('a person should check'),
    });
  });

  it('takes a refusal carrying a receipt in data.numeroComprobante as a duplicate, whatever its wording', () => {
    expect(
      parseRestAnswer(400, 'application/json', JSON.stringify({ status: '10', message: 'Registro duplicado', data: { numeroComprobante: RECEIPT } })),
    ).toEqual({ kind: 'duplicate', receipt: RECEIPT });
    expect(
      parseRestAnswer(400, 'application/json', JSON.stringify({ status: '10', message: 'Registro duplicado', data: { numeroComprobante: 'A1B2' } })),
    ).toMatchObject({ kind: 'rejected', code: '10' });
  });

  it('keeps a duplicate a duplicate when its receipt is missing or malformed', () => {
    const text = JSON.stringify({ status: '01', message: 'Ya existe un registro en esa fecha, hora para la obra. Comprobante: abc' });
    expect(parseRestAnswer(400, 'application/json', text)).toEqual({ kind: 'duplicate', receipt: null });
    expect(parseRestAnswer(400, 'application/json', JSON.stringify({ message: dup }))).toEqual({ kind: 'duplicate', receipt: RECEIPT });
  });

  it.each([
    'Usuario no es el informante registrado en la Obra',
    'usuario NO es el Informante   registrado en la obra.',
    'Usuário no es el informante registrado en la Obra OB-0101-114',
  ])('recognizes not-informant: %j', (message) => {
    expect(parseRestAnswer(400, 'application/json', JSON.stringify({ status: '01', message }))).toEqual({ kind: 'not-informant' });
  });

  it('reports any other status as a rejection with its code', () => {
    expect(parseRestAnswer(400, 'application/json', '{"status":"03","message":"Formato de caudal inválido"}')).toEqual({
      kind: 'rejected',
      status: 400,
      code: '03',
      message: 'Formato de caudal inválido',
    });
    expect(parseRestAnswer(200, 'application/json', '{"status":"99"}')).toEqual({ kind: 'rejected', status: 200, code: '99', message: '' });
  });

  it.each([
    [502, 'text/html', '<html><body><h1>502 Bad Gateway</h1></body></html>'],
    [503, undefined, '  <!DOCTYPE html><html></html>'],
    [200, 'text/plain', 'OK'],
    [200, 'application/json', ''],
    [200, 'application/json', '[1,2]'],
    [500, 'application/json', '{"timestamp":"2025-09-07T14:00:00Z","status":500,"error":"Internal Server Error","path":"/api/v1/mediciones/subterraneas"}'],
  ])('HTTP %s %s %j is no valid DGA answer', (status, type, text) => {
    expect(parseRestAnswer(status, type, text).kind).toBe('invalid');
  });
});
