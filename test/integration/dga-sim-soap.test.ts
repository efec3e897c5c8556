import type { Client } from 'soap';
import soap from 'soap';
import { request } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { PROJECT_WSDL } from '../../simulators/dga/options.ts';
import { DgaSimulator } from '../../simulators/dga/simulator.ts';
import type { RegistryEntry } from '../../simulators/dga/types.ts';
import { INFORMANT_MESSAGE } from '../../simulators/dga/types.ts';
import { testLogger } from '../helpers/logger.ts';

const INFORMANT = '20999888-2';
const EMPRESA = '77555666-8';
const REQ_NS = 'http://www.mop.cl/controlextraccion/xsd/datosExtraccion/AuthSendDataExtraccionRequest';
const SEND_ACTION = 'http://www.mop.cl/controlextraccion/wsdl/datosExtraccion/authSendDataExtraccionOp';
const REGISTRY: RegistryEntry[] = [
  { obra: 'OB-0602-7', kind: 'subterranea', informantRut: INFORMANT, rutEmpresa: EMPRESA, password: 'secreto' },
  { obra: 'OB-0101-103', kind: 'superficial', informantRut: INFORMANT, rutEmpresa: EMPRESA, password: 'secreto' },
];
const clock = {
  t: Date.UTC(2025, 5, 16, 14, 0, 0),
  now(): number {
    return this.t;
  },
  monotonic(): number {
    return this.t;
  },
};
let sim: DgaSimulator;
let client: Client;

beforeAll(async () => {
  sim = new DgaSimulator({
    rest: { host: '127.0.0.1', port: 0 },
    soap: { host: '127.0.0.1', port: 0 },
    clock,
    logger: testLogger(),
    registry: REGISTRY,
    seed: 5,
  });
  await sim.start();
  client = await soap.createClientAsync(PROJECT_WSDL, {}, sim.soapUrl);
});
afterAll(async () => {
  await sim.stop();
});
beforeEach(async () => {
  await sim.setFaults({});
});

function traza(obra: string): void {
  client.clearSoapHeaders();
  client.addSoapHeader({ authSendDataExtraccionTraza: { codigoDeLaObra: obra, timeStampOrigen: '2025-06-16T10:00:05-04:00' } }, '', 'areq', REQ_NS);
}

interface SendAnswer {
  numeroComprobante: string;
  status: { Code: string; Description: string };
}

async function sendPozo(hora: string, over: Record<string, string> = {}, rut = INFORMANT): Promise<SendAnswer> {
  traza('OB-0602-7');
  const [answer] = await client.authSendDataExtraccionOpAsync({
    authDataUsuario: { idUsuario: { rut }, password: 'secreto' },
    authDataExtraccionSubterranea: {
      fechaMedicion: '16-06-2025',
      horaMedicion: hora,
      totalizador: '1010',
      caudal: '1.50',
      nivelFreaticoDelPozo: '9.80',
      ...over,
    },
  });
  return answer as SendAnswer;
}

/** A hand-written request; `data` is the measurement element's content. */
function rawEnvelope(data: string, opts: { header?: boolean; element?: string } = {}): string {
  const element = opts.element ?? 'authDataExtraccionSubterranea';
  const header =
    opts.header === false
      ? ''
      : `<s:Header><d:authSendDataExtraccionTraza><d:codigoDeLaObra>OB-0602-7</d:codigoDeLaObra><d:timeStampOrigen>2025-06-16T10:00:05-04:00</d:timeStampOrigen></d:authSendDataExtraccionTraza></s:Header>`;
  return `<?xml version="1.0" encoding="UTF-8"?>
<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" xmlns:d="${REQ_NS}">${header}
  <s:Body><d:authSendDataExtraccionRequest>
    <d:authDataUsuario><d:idUsuario><d:rut>${INFORMANT}</d:rut></d:idUsuario><d:password>secreto</d:password></d:authDataUsuario>
    <d:${element}>${data}</d:${element}>
  </d:authSendDataExtraccionRequest></s:Body>
</s:Envelope>`;
}

async function postRaw(xml: string, action = SEND_ACTION): Promise<{ status: number; body: string }> {
  const r = await request(sim.soapUrl!, { method: 'POST', body: xml, headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: `"${action}"` } });
  return { status: r.statusCode, body: await r.body.text() };
}

describe('DGA simulator, SOAP (project WSDL, soap package client)', () => {
  it('accepts a measurement with Code 0 and a receipt, and getDataExtraccionOp gives it back', async () => {
    const answer = await sendPozo('09:00:00');
    expect(answer.status.Code).toBe('0');
    expect(answer.numeroComprobante).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(sim.measurements('OB-0602-7').at(-1)).toMatchObject({
      fechaMedicion: '2025-06-16',
      horaMedicion: '09:00:00',
      totalizador: '1010',
      caudal: '1.50',
      transport: 'soap',
    });
    const [got] = await client.getDataExtraccionOpAsync({ codigoDeLaObra: 'OB-0602-7', numeroComprobante: answer.numeroComprobante });
    expect(got.status.Code).toBe('0');
    expect(got.medicion).toMatchObject({ fechaMedicion: '16-06-2025', caudal: 1.5, totalizador: 1010, nivelFreaticoDelPozo: 9.8 });
    const [missing] = await client.getDataExtraccionOpAsync({ codigoDeLaObra: 'OB-0602-7', numeroComprobante: 'x'.repeat(32) });
    expect(missing.status.Code).not.toBe('0');
  });

  it('answers a duplicate with a non-zero Code and the original receipt in Description', async () => {
    const first = await sendPozo('08:00:00');
    const again = await sendPozo('08:00:00', { caudal: '2.00' });
    expect(again.status.Code).not.toBe('0');
    expect(again.status.Description).toBe(`Ya existe un registro en esa fecha, hora para la obra. Comprobante: ${first.numeroComprobante}`);
  });

  it('refuses values and people with a status, as REST does', async () => {
    expect((await sendPozo('07:00:00', { fechaMedicion: '2025-06-16' })).status).toMatchObject({ Code: '3' });
    expect((await sendPozo('07:00:00', { caudal: '1.5' })).status).toMatchObject({ Code: '3' });
    expect((await sendPozo('11:00:00')).status).toMatchObject({ Code: '4' });
    expect((await sendPozo('07:00:00', {}, '11111111-1')).status).toEqual({ Code: '9', Description: INFORMANT_MESSAGE });
    expect(sim.measurements('OB-0602-7').filter((m) => m.horaMedicion === '07:00:00')).toEqual([]);
  });

  it('accepts a hand-written envelope with other prefixes, in the XSD order', async () => {
    const r = await postRaw(
      rawEnvelope(
        '<d:fechaMedicion>16-06-2025</d:fechaMedicion><d:horaMedicion>06:00:00</d:horaMedicion><d:totalizador>5</d:totalizador><d:caudal>0.00</d:caudal><d:nivelFreaticoDelPozo>0.00</d:nivelFreaticoDelPozo>',
      ),
    );
    expect(r.status).toBe(200);
    expect(r.body).toMatch(/<(\w+:)?Code>0<\/(\w+:)?Code>/);
  });

  it('refuses with a SOAP Fault, storing nothing: wrong order, wrong namespace, no header, wrong SOAPAction', async () => {
    const before = sim.measurements('OB-0602-7').length;
    const wrongOrder = await postRaw(
      rawEnvelope(
        '<d:fechaMedicion>16-06-2025</d:fechaMedicion><d:horaMedicion>05:00:00</d:horaMedicion><d:caudal>1.00</d:caudal><d:totalizador>5</d:totalizador><d:nivelFreaticoDelPozo>1.00</d:nivelFreaticoDelPozo>',
      ),
    );
    expect(wrongOrder.status).toBe(500);
    expect(wrongOrder.body).toContain('Fault');
    expect(wrongOrder.body).toContain('child 3 must be totalizador');
    const unqualified = await postRaw(
      rawEnvelope(
        '<fechaMedicion>16-06-2025</fechaMedicion><horaMedicion>05:00:00</horaMedicion><totalizador>5</totalizador><caudal>1.00</caudal><nivelFreaticoDelPozo>1.00</nivelFreaticoDelPozo>',
      ),
    );
    expect(unqualified).toMatchObject({ status: 500 });
    expect(unqualified.body).toContain('(no namespace)');
    const good =
      '<d:fechaMedicion>16-06-2025</d:fechaMedicion><d:horaMedicion>05:00:00</d:horaMedicion><d:totalizador>5</d:totalizador><d:caudal>1.00</d:caudal><d:nivelFreaticoDelPozo>1.00</d:nivelFreaticoDelPozo>';
    expect((await postRaw(rawEnvelope(good, { header: false }))).status).toBe(500);
    expect(await postRaw(rawEnvelope(good), 'authSendDataExtraccionOp')).toMatchObject({ status: 500 });
    expect((await postRaw(rawEnvelope(good, { element: 'authDataExtraccionPozo' }))).status).toBe(500);
    expect(sim.measurements('OB-0602-7')).toHaveLength(before);
    expect(
      sim
        .requests()
        .slice(-5)
        .map((r) => [r.outcome, r.failure]),
    ).toEqual(Array(5).fill(['refused', 'structure']));
    // The same body in the right order goes through.
    expect((await postRaw(rawEnvelope(good))).status).toBe(200);
  });

  it('applies the faults to SOAP too: proxy page, and storing without answering', async () => {
    await sim.setFaults({ html5xx: { status: 502 } });
    const page = await request(sim.soapUrl!, { method: 'POST', body: rawEnvelope(''), headers: { 'content-type': 'text/xml', soapaction: SEND_ACTION } });
    expect(page.statusCode).toBe(502);
    expect(await page.body.text()).toContain('Bad Gateway');
    await sim.setFaults({ timeoutAfterStore: {} });
    const body = rawEnvelope(
      '<d:fechaMedicion>16-06-2025</d:fechaMedicion><d:horaMedicion>04:00:00</d:horaMedicion><d:totalizador>5</d:totalizador><d:caudal>1.00</d:caudal><d:nivelFreaticoDelPozo>1.00</d:nivelFreaticoDelPozo>',
    );
    await expect(
      request(sim.soapUrl!, { method: 'POST', body, headersTimeout: 300, headers: { 'content-type': 'text/xml', soapaction: SEND_ACTION } }),
    ).rejects.toMatchObject({ code: 'UND_ERR_HEADERS_TIMEOUT' });
    expect(sim.measurements('OB-0602-7').some((m) => m.horaMedicion === '04:00:00')).toBe(true);
    expect(sim.requests().at(-1)).toMatchObject({ transport: 'soap', outcome: 'stored-unanswered' });
  });

  it('serves the WSDL and its XSDs, so a client can load it from the endpoint', async () => {
    const remote = await soap.createClientAsync(`${sim.soapUrl}?wsdl`);
    expect(Object.keys(remote.describe())).toEqual(['sendDataExtraccionService']);
    remote.addSoapHeader({ authSendDataExtraccionTraza: { codigoDeLaObra: 'OB-0101-103', timeStampOrigen: '2025-06-16T10:00:05-04:00' } }, '', 'areq', REQ_NS);
    const [answer] = await remote.authSendDataExtraccionOpAsync({
      authDataUsuario: { idUsuario: { rut: INFORMANT }, password: 'secreto' },
      authDataExtraccionSuperficial: { fechaMedicion: '16-06-2025', horaMedicion: '09:00:00', caudal: '16.54', alturaLimnimetrica: '5' },
    });
    expect(answer.status.Code).toBe('0');
    expect(sim.measurements('OB-0101-103')).toMatchObject([{ kind: 'superficial', alturaLimnimetrica: '5', caudal: '16.54' }]);
  });
});
