import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import soap from 'soap';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SoapRequestInput } from '../../protocols/dga/index.ts';
import {
  ATALAYA_DGA_UNSUPPORTED,
  ATALAYA_DGA_VALUE,
  buildSoapArgs,
  buildSoapEnvelope,
  buildSoapQueryArgs,
  DGA_SOAP_ACTIONS,
  DGA_SOAP_NS,
  DGA_WSDL_PATH,
  isDgaError,
  parseSoapAnswer,
  parseSoapQueryAnswer,
  sameMeasurement,
} from '../../protocols/dga/index.ts';

const utc = (y: number, mo: number, d: number, h = 0, mi = 0, s = 0): number => Date.UTC(y, mo - 1, d, h, mi, s);
const RECEIPT = 'zk7DOAl3uIlGTjvwNtwBF0sBLAR16cI5';
const AUT = DGA_SOAP_NS.authRequest;
const SCHEMA_DIR = path.dirname(DGA_WSDL_PATH);

const well: SoapRequestInput = {
  kind: 'subterranea',
  obra: 'OB-0101-114',
  credentials: { rutUsuario: '20.999.888-2', password: 'p&ss<w>rd' },
  measurement: { at: utc(2023, 9, 7, 14), caudal: 1, totalizador: 1010, nivelFreatico: 9.85 },
  sentAt: utc(2023, 9, 7, 14, 5),
};
const surface: SoapRequestInput = {
  kind: 'superficial',
  obra: 'OB-0101-103',
  credentials: { rutUsuario: '20999888-2', password: '9A4PUqd1t4' },
  measurement: { at: utc(2023, 9, 7, 13), caudal: 16.54, alturaLimnimetrica: 5 },
  sentAt: utc(2023, 9, 7, 13, 1),
};

let dir = '';
let envelopeXsd = '';

/** A minimal SOAP 1.1 Envelope schema whose Header and Body children are validated strictly against the project XSDs. */
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atalaya-'));
  const imports = ['auth-send-request', 'auth-send-response', 'get-data-request', 'get-data-response']
    .map((name) => {
      const file = path.join(SCHEMA_DIR, `${name}.xsd`);
      const ns = /targetNamespace="([^"]+)"/.exec(fs.readFileSync(file, 'utf8'))?.[1];
      return `<xs:import namespace="${ns}" schemaLocation="${file}"/>`;
    })
    .join('');
  envelopeXsd = path.join(dir, 'envelope.xsd');
  fs.writeFileSync(
    envelopeXsd,
    `<?xml version="1.0"?><xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:e="${DGA_SOAP_NS.envelope}" targetNamespace="${DGA_SOAP_NS.envelope}" elementFormDefault="qualified">` +
      imports +
      '<xs:element name="Envelope"><xs:complexType><xs:sequence><xs:element ref="e:Header" minOccurs="0"/><xs:element ref="e:Body"/></xs:sequence><xs:anyAttribute processContents="lax"/></xs:complexType></xs:element>' +
      '<xs:element name="Header"><xs:complexType><xs:sequence><xs:any namespace="##other" processContents="strict" minOccurs="0" maxOccurs="unbounded"/></xs:sequence></xs:complexType></xs:element>' +
      '<xs:element name="Body"><xs:complexType><xs:sequence><xs:any namespace="##other" processContents="strict" maxOccurs="unbounded"/></xs:sequence></xs:complexType></xs:element>' +
      '</xs:schema>',
  );
});

afterAll(() => {
  if (dir !== '') fs.rmSync(dir, { recursive: true, force: true });
});

function xmllint(xml: string): { ok: boolean; stderr: string } {
  const r = spawnSync('xmllint', ['--noout', '--schema', envelopeXsd, '-'], { input: xml, encoding: 'utf8' });
  if (r.error) throw r.error;
  return { ok: r.status === 0, stderr: r.stderr };
}

describe('SOAP request (legacy authSendDataExtraccionOp, docs/dga.md#soap-legacy)', () => {
  it('builds the exact envelope: header traza, then user and the well measurement in schema order', () => {
    expect(buildSoapEnvelope(well)).toBe(
      '<?xml version="1.0" encoding="UTF-8"?>' +
        `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:aut="${AUT}">` +
        '<soapenv:Header><aut:authSendDataExtraccionTraza><aut:codigoDeLaObra>OB-0101-114</aut:codigoDeLaObra>' +
        '<aut:timeStampOrigen>2023-09-07T10:05:00-04:00</aut:timeStampOrigen></aut:authSendDataExtraccionTraza></soapenv:Header>' +
        '<soapenv:Body><aut:authSendDataExtraccionRequest>' +
        '<aut:authDataUsuario><aut:idUsuario><aut:rut>20999888-2</aut:rut></aut:idUsuario><aut:password>p&amp;ss&lt;w&gt;rd</aut:password></aut:authDataUsuario>' +
        '<aut:authDataExtraccionSubterranea><aut:fechaMedicion>07-09-2023</aut:fechaMedicion><aut:horaMedicion>10:00:00</aut:horaMedicion>' +
        '<aut:totalizador>1010</aut:totalizador><aut:caudal>1.00</aut:caudal><aut:nivelFreaticoDelPozo>9.85</aut:nivelFreaticoDelPozo>' +
        '</aut:authDataExtraccionSubterranea></aut:authSendDataExtraccionRequest></soapenv:Body></soapenv:Envelope>',
    );
  });

  it('gives the soap client its arguments with keys in element order', () => {
    const args = buildSoapArgs(surface);
    expect(args.header).toEqual({ authSendDataExtraccionTraza: { codigoDeLaObra: 'OB-0101-103', timeStampOrigen: '2023-09-07T09:01:00-04:00' } });
    expect(Object.keys(args.body)).toEqual(['authDataUsuario', 'authDataExtraccionSuperficial']);
    expect(Object.keys(args.body.authDataExtraccionSuperficial ?? {})).toEqual(['fechaMedicion', 'horaMedicion', 'caudal', 'alturaLimnimetrica']);
    expect(Object.keys(buildSoapArgs(well).body.authDataExtraccionSubterranea ?? {})).toEqual([
      'fechaMedicion',
      'horaMedicion',
      'totalizador',
      'caudal',
      'nivelFreaticoDelPozo',
    ]);
  });

  it('validates against the project schema with xmllint; wrong order, namespace or format does not', () => {
    for (const input of [well, surface]) expect(xmllint(buildSoapEnvelope(input))).toEqual({ ok: true, stderr: expect.stringContaining('validates') });
    const good = buildSoapEnvelope(well);
    const swapped = good.replace(
      '<aut:totalizador>1010</aut:totalizador><aut:caudal>1.00</aut:caudal>',
      '<aut:caudal>1.00</aut:caudal><aut:totalizador>1010</aut:totalizador>',
    );
    expect(swapped).not.toBe(good);
    expect(xmllint(swapped).ok).toBe(false);
    expect(xmllint(good.replace(`xmlns:aut="${AUT}"`, `xmlns:aut="${DGA_SOAP_NS.authResponse}"`)).ok).toBe(false);
    expect(xmllint(good.replace('-04:00</aut:timeStampOrigen>', '-0000</aut:timeStampOrigen>')).ok).toBe(false);
    expect(xmllint(good.replace('07-09-2023', '2023-09-07')).ok).toBe(false);
    expect(xmllint(good.replace('<aut:caudal>1.00', '<aut:caudal>1.005')).ok).toBe(false);
  });

  it('refuses what the legacy schema cannot carry', () => {
    const code = (fn: () => unknown): unknown => {
      try {
        fn();
      } catch (err) {
        return isDgaError(err) ? [err.code, err.details?.['field'] ?? err.details?.['what']] : err;
      }
      return undefined;
    };
    expect(code(() => buildSoapArgs({ ...well, kind: 'superficial-flujometro', measurement: { at: well.measurement.at, caudal: 1, totalizador: 2 } }))).toEqual(
      [ATALAYA_DGA_UNSUPPORTED, 'kind'],
    );
    expect(code(() => buildSoapArgs({ ...well, measurement: { at: well.measurement.at, caudal: 1, totalizador: 2 } }))).toEqual([
      ATALAYA_DGA_VALUE,
      'nivelFreaticoDelPozo',
    ]);
    expect(code(() => buildSoapArgs({ ...surface, measurement: { at: surface.measurement.at, caudal: 1 } }))).toEqual([
      ATALAYA_DGA_VALUE,
      'alturaLimnimetrica',
    ]);
  });

  it('drives the soap client with the project WSDL to a valid request and reads its answer', async () => {
    const client = await soap.createClientAsync(DGA_WSDL_PATH, { endpoint: 'http://127.0.0.1:9/dga' });
    let sentHeaders: Record<string, unknown> = {};
    const answer =
      '<?xml version="1.0" encoding="utf-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body>' +
      `<authSendDataExtraccionResponse xmlns="${DGA_SOAP_NS.authResponse}"><numeroComprobante>${RECEIPT}</numeroComprobante>` +
      '<status><Code>0</Code><Description>Medición ingresada correctamente</Description></status></authSendDataExtraccionResponse></soapenv:Body></soapenv:Envelope>';
    // No network: the HTTP layer is replaced by one that records the request and answers at once.
    (client as unknown as { httpClient: unknown }).httpClient = {
      request(_url: string, _data: unknown, callback: (err: unknown, res: unknown, body: string) => void, headers: Record<string, unknown>) {
        sentHeaders = headers;
        callback(null, { status: 200, headers: {}, data: answer }, answer);
      },
    };
    expect(xmllint(answer).ok).toBe(true);
    const args = buildSoapArgs(well);
    client.addSoapHeader(args.header, undefined, 'aut', AUT);
    const [result, , , rawRequest] = await client.authSendDataExtraccionOpAsync(args.body);
    expect(sentHeaders['SOAPAction']).toBe(`"${DGA_SOAP_ACTIONS.authSendDataExtraccionOp}"`);
    expect(xmllint(rawRequest as string).ok).toBe(true);
    expect(rawRequest).toMatch(/<(\w+):rut>20999888-2<\/\1:rut>/);
    expect(parseSoapAnswer(result)).toEqual({ kind: 'accepted', receipt: RECEIPT });
  });
});

describe('SOAP answers', () => {
  const answer = (receipt: string, code: string, description: string): unknown => ({
    numeroComprobante: receipt,
    status: { Code: code, Description: description },
  });

  it('maps every outcome like REST', () => {
    expect(parseSoapAnswer(answer(RECEIPT, '0', 'OK'))).toEqual({ kind: 'accepted', receipt: RECEIPT });
    expect(parseSoapAnswer({ authSendDataExtraccionResponse: answer(RECEIPT, ' 0 ', '') })).toEqual({ kind: 'accepted', receipt: RECEIPT });
    expect(parseSoapAnswer(answer('', '5', `Ya existe un registro en esa fecha, hora para la obra. Comprobante: ${RECEIPT}`))).toEqual({
      kind: 'duplicate',
      receipt: RECEIPT,
    });
    expect(parseSoapAnswer(answer(RECEIPT, '5', 'Ya existe un registro en esa fecha, hora para la obra'))).toEqual({ kind: 'duplicate', receipt: RECEIPT });
    expect(parseSoapAnswer(answer('', '7', 'Usuario no es el informante registrado en la Obra'))).toEqual({ kind: 'not-informant' });
    expect(parseSoapAnswer(answer(RECEIPT, '10', 'Registro duplicado'))).toEqual({ kind: 'duplicate', receipt: RECEIPT });
    expect(parseSoapAnswer(answer('', '9', 'Error de formato'), 200)).toEqual({ kind: 'rejected', status: 200, code: '9', message: 'Error de formato' });
    expect(parseSoapAnswer({ numeroComprobante: '', status: { Code: { $value: '3', attributes: {} } } })).toEqual({
      kind: 'rejected',
      status: null,
      code: '3',
      message: '',
    });
  });

  it('takes Code 0 as accepted even with an empty or odd receipt, kept as given and flagged', () => {
    expect(parseSoapAnswer(answer('', '0', 'OK'))).toEqual({ kind: 'accepted-irregular', receipt: null, reason: expect.stringContaining('no receipt') });
    expect(parseSoapAnswer(answer('A1B2-C3D4-E5F6', '0', 'OK'))).toEqual({ kind: 'accepted-irregular', receipt: 'A1B2-C3D4-E5F6', reason: expect.any(String) });
    expect(parseSoapAnswer({ status: { Code: '0', Description: 'OK' } }).kind).toBe('accepted-irregular');
  });

  it.each([null, 'text', {}, { status: {} }])('%j is no valid answer', (result) => {
    expect(parseSoapAnswer(result).kind).toBe('invalid');
  });

  it('checks a receipt with getDataExtraccionOp (dd-mm-yyyy, no hour in the legacy answer)', () => {
    expect(buildSoapQueryArgs('OB-0101-114', RECEIPT)).toEqual({ codigoDeLaObra: 'OB-0101-114', numeroComprobante: RECEIPT });
    const found = parseSoapQueryAnswer({
      medicion: { idMedicion: 7, fechaIngreso: '07-09-2023', fechaMedicion: '07-09-2023', caudal: 1, totalizador: 1010, nivelFreaticoDelPozo: 9.85 },
      status: { Code: '0', Description: '' },
    });
    expect(found).toEqual({
      kind: 'found',
      measurement: { caudal: '1', fechaMedicion: '2023-09-07', horaMedicion: '', nivelFreaticoDelPozo: '9.85', totalizador: '1010' },
    });
    const sent = { caudal: '1.00', fechaMedicion: '2023-09-07', horaMedicion: '10:00:00', nivelFreaticoDelPozo: '9.85', totalizador: '1010' };
    if (found.kind !== 'found') throw new Error('unreachable');
    expect(sameMeasurement(sent, found.measurement)).toBe(true);
    expect(sameMeasurement({ ...sent, totalizador: '1011' }, found.measurement)).toBe(false);
    expect(parseSoapQueryAnswer({ status: { Code: '4', Description: 'No existe' } }, 200)).toEqual({
      kind: 'rejected',
      status: 200,
      code: '4',
      message: 'No existe',
    });
    expect(parseSoapQueryAnswer({ status: { Code: '0', Description: '' } }).kind).toBe('invalid');
  });
});
