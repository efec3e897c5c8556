/**
 * DGA MEE legacy SOAP 1.1 service, document/literal (docs/dga.md#soap-legacy); deprecated by
 * Res. Ex. DGA 2.170/2025 but kept for installations still configured for it. Pure: the WSDL beside
 * this file drives the `soap` client in cloud/; here are its arguments, the exact envelope (for tests
 * and test doubles) and the reading of its answers.
 */
import { fileURLToPath } from 'node:url';
import { argumentError, unsupported, valueError } from './errors.ts';
import type { Measurement, WorkKind } from './measurement.ts';
import { assertWorkKind, checkSendTime, formatMeasurement, readStoredMeasurement } from './measurement.ts';
import { assertObra } from './obra.ts';
import type { DgaOutcome, DgaQueryOutcome } from './outcome.ts';
import { classifyMessage, isReceipt, successOutcome } from './outcome.ts';
import type { DgaCredentials } from './rest.ts';
import { normalizeRut } from './rut.ts';
import { soapTimeStamp, toDgaDateTime } from './time.ts';

/** Our WSDL (schemas in `soap/*.xsd` beside it). A path, as the `soap` package expects. */
export const DGA_WSDL_PATH = fileURLToPath(new URL('./soap/dga.wsdl', import.meta.url));
export const DGA_SOAP_ENDPOINT = 'https://snia.mop.gob.cl/controlextraccion/datosExtraccion/SendDataExtraccionService';

const XSD = 'http://www.mop.cl/controlextraccion/xsd/datosExtraccion';
export const DGA_SOAP_NS = {
  envelope: 'http://schemas.xmlsoap.org/soap/envelope/',
  service: 'http://www.mop.cl/controlextraccion/wsdl/datosExtraccion/SendDataExtraccionService',
  authRequest: `${XSD}/AuthSendDataExtraccionRequest`,
  authResponse: `${XSD}/AuthSendDataExtraccionResponse`,
  getRequest: `${XSD}/GetDataExtraccionRequest`,
  getResponse: `${XSD}/GetDataExtraccionResponse`,
} as const;

export const DGA_SOAP_ACTIONS = {
  authSendDataExtraccionOp: 'http://www.mop.cl/controlextraccion/wsdl/datosExtraccion/authSendDataExtraccionOp',
  getDataExtraccionOp: 'http://www.mop.cl/controlextraccion/wsdl/datosExtraccion/getDataExtraccionOp',
} as const;

export interface SoapRequestInput {
  /** `superficial-flujometro` has no legacy shape and is refused (ATALAYA_DGA_UNSUPPORTED). */
  readonly kind: WorkKind;
  readonly obra: string;
  /** The legacy service has no Centro de Control RUT; `rutEmpresa` is ignored if given. */
  readonly credentials: Pick<DgaCredentials, 'rutUsuario' | 'password'> & { readonly rutEmpresa?: string };
  readonly measurement: Measurement;
  readonly sentAt: number;
}

/** Strings only, keys in element order (the schema's sequences are ordered). */
export interface SoapArgs {
  /** SOAP Header element, namespace DGA_SOAP_NS.authRequest. */
  readonly header: {
    readonly authSendDataExtraccionTraza: { readonly codigoDeLaObra: string; readonly timeStampOrigen: string };
  };
  /** Content of the Body element `authSendDataExtraccionRequest`, namespace DGA_SOAP_NS.authRequest. */
  readonly body: {
    readonly authDataUsuario: { readonly idUsuario: { readonly rut: string }; readonly password: string };
    readonly authDataExtraccionSubterranea?: {
      readonly fechaMedicion: string;
      readonly horaMedicion: string;
      readonly totalizador: string;
      readonly caudal: string;
      readonly nivelFreaticoDelPozo: string;
    };
    readonly authDataExtraccionSuperficial?: {
      readonly fechaMedicion: string;
      readonly horaMedicion: string;
      readonly caudal: string;
      readonly alturaLimnimetrica: string;
    };
  };
}

/** xsd:decimal has no empty value, so the fields REST lets be empty are required here. */
function required(name: string, value: string | undefined): string {
  if (value === undefined || value === '') throw valueError(name, 'required by the SOAP schema (an xsd:decimal cannot be empty)');
  return value;
}

/**
 * Arguments of `authSendDataExtraccionOp`. With the `soap` client:
 * `client.addSoapHeader(args.header, undefined, 'aut', DGA_SOAP_NS.authRequest)` (the client does not
 * build WSDL headers itself; clear it before the next call) then `client.authSendDataExtraccionOpAsync(args.body)`.
 */
export function buildSoapArgs(input: SoapRequestInput): SoapArgs {
  const kind = assertWorkKind(input.kind);
  if (kind === 'superficial-flujometro') throw unsupported('kind', 'the legacy SOAP service has no surface-with-flowmeter measurement; use REST');
  const obra = assertObra(input.obra);
  if (typeof input.credentials.password !== 'string' || input.credentials.password === '') throw argumentError('credentials.password', 'empty');
  const rut = normalizeRut(input.credentials.rutUsuario, 'credentials.rutUsuario');
  checkSendTime(input.measurement.at, input.sentAt);
  // The legacy schema has no empty value at all: `required` below refuses one with the element's name.
  const f = formatMeasurement(kind, input.measurement, 'muy-pequenos');
  const fechaMedicion = toDgaDateTime(input.measurement.at).dateDMY;
  const header = { authSendDataExtraccionTraza: { codigoDeLaObra: obra, timeStampOrigen: soapTimeStamp(input.sentAt) } };
  const authDataUsuario = { idUsuario: { rut }, password: input.credentials.password };
  const caudal = required('caudal', f.caudal);
  if (kind === 'subterranea') {
    const measurement = {
      fechaMedicion,
      horaMedicion: f.horaMedicion,
      totalizador: required('totalizador', f.totalizador),
      caudal,
      nivelFreaticoDelPozo: required('nivelFreaticoDelPozo', f.nivelFreaticoDelPozo),
    };
    return { header, body: { authDataUsuario, authDataExtraccionSubterranea: measurement } };
  }
  const measurement = { fechaMedicion, horaMedicion: f.horaMedicion, caudal, alturaLimnimetrica: required('alturaLimnimetrica', f.alturaLimnimetrica) };
  return { header, body: { authDataUsuario, authDataExtraccionSuperficial: measurement } };
}

/** Arguments of `getDataExtraccionOp`, the receipt check. */
export function buildSoapQueryArgs(obra: string, receipt: string): { readonly codigoDeLaObra: string; readonly numeroComprobante: string } {
  if (!isReceipt(receipt)) throw argumentError('receipt', 'expected 32 letters and digits');
  return { codigoDeLaObra: assertObra(obra), numeroComprobante: receipt };
}

const escapeXml = (text: string): string =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');

type XmlTree = { readonly [name: string]: string | XmlTree | undefined };

function toXml(prefix: string, tree: XmlTree): string {
  let out = '';
  for (const [name, value] of Object.entries(tree)) {
    if (value === undefined) continue;
    const inner = typeof value === 'string' ? escapeXml(value) : toXml(prefix, value);
    out += `<${prefix}:${name}>${inner}</${prefix}:${name}>`;
  }
  return out;
}

/**
 * The exact request XML of `authSendDataExtraccionOp` (what buildSoapArgs describes), every DGA
 * element prefixed `aut:` (elementFormDefault qualified), no whitespace between elements.
 * Send with `Content-Type: text/xml; charset=utf-8` and `SOAPAction: "<DGA_SOAP_ACTIONS.authSendDataExtraccionOp>"`.
 */
export function buildSoapEnvelope(input: SoapRequestInput): string {
  const args = buildSoapArgs(input);
  return (
    '<?xml version="1.0" encoding="UTF-8"?>' +
    `<soapenv:Envelope xmlns:soapenv="${DGA_SOAP_NS.envelope}" xmlns:aut="${DGA_SOAP_NS.authRequest}">` +
    `<soapenv:Header>${toXml('aut', args.header)}</soapenv:Header>` +
    `<soapenv:Body>${toXml('aut', { authSendDataExtraccionRequest: args.body })}</soapenv:Body>` +
    '</soapenv:Envelope>'
  );
}

/** Text of a parsed element: the `soap` client gives strings, or `{ $value }` when the element has attributes. */
function text(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  if (typeof value === 'object' && value !== null && '$value' in value) return text((value as { $value: unknown }).$value);
  return null;
}

function child(value: unknown, name: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[name] : undefined;
}

/** The response element's content, whether given the element or an object holding it. */
function unwrap(result: unknown, element: string): unknown {
  const inner = child(result, element);
  return inner === undefined ? result : inner;
}

/**
 * The parsed `authSendDataExtraccionResponse` (what the `soap` client resolves with) as an outcome:
 * `status/Code` "0" with a receipt is success, and without a well-formed one still success, flagged
 * (accepted-irregular); duplicate and not-informant are read from `status/Description`, and another
 * code with a well-formed receipt is a duplicate; any other code is a rejection. `httpStatus` is
 * reported in rejections when known.
 */
export function parseSoapAnswer(result: unknown, httpStatus: number | null = null): DgaOutcome {
  const answer = unwrap(result, 'authSendDataExtraccionResponse');
  const status = child(answer, 'status');
  const code = text(child(status, 'Code'));
  if (code === null) return { kind: 'invalid', reason: 'no authSendDataExtraccionResponse/status/Code' };
  const description = text(child(status, 'Description')) ?? '';
  const receipt = text(child(answer, 'numeroComprobante'));
  // Code 0 is DGA saying it stored the measurement, whatever the receipt looks like.
  if (code.trim() === '0') return successOutcome(receipt, httpStatus);
  const known = classifyMessage(description);
  if (known?.kind === 'duplicate' && known.receipt === null && isReceipt(receipt)) return { kind: 'duplicate', receipt };
  if (known !== null) return known;
  // No documented duplicate code: a receipt in the answer's own field means DGA holds the measurement.
  if (isReceipt(receipt)) return { kind: 'duplicate', receipt };
  return { kind: 'rejected', status: httpStatus, code, message: description };
}

/** The parsed `getDataExtraccionResponse`: `medicion` (dates dd-mm-yyyy, no hour in the legacy answer) and `status`. */
export function parseSoapQueryAnswer(result: unknown, httpStatus: number | null = null): DgaQueryOutcome {
  const answer = unwrap(result, 'getDataExtraccionResponse');
  const status = child(answer, 'status');
  const code = text(child(status, 'Code'));
  if (code === null) return { kind: 'invalid', reason: 'no getDataExtraccionResponse/status/Code' };
  if (code.trim() !== '0') return { kind: 'rejected', status: httpStatus, code, message: text(child(status, 'Description')) ?? '' };
  const medicion = child(answer, 'medicion');
  const measurement = readStoredMeasurement(medicion, 'absent');
  if (typeof measurement === 'string') return { kind: 'invalid', reason: measurement };
  return { kind: 'found', measurement };
}
