import { checkObra, checkXsdDateTime, dmyToIso } from './fields.ts';
import type { Submission } from './service.ts';
import type { XmlElement } from './xml.ts';
import { parseXml, XmlError } from './xml.ts';

/** SOAP 1.1 envelope namespace (SOAP 1.1 §4). */
export const SOAP_ENV_NS = 'http://schemas.xmlsoap.org/soap/envelope/';
const XSD_BASE = 'http://www.mop.cl/controlextraccion/xsd/datosExtraccion/';
/** Legacy XSDs (docs/dga.md#soap-legacy): elementFormDefault qualified, so every element is in these. */
export const AUTH_REQ_NS = `${XSD_BASE}AuthSendDataExtraccionRequest`;
export const GET_REQ_NS = `${XSD_BASE}GetDataExtraccionRequest`;
const ACTION_BASE = 'http://www.mop.cl/controlextraccion/wsdl/datosExtraccion/';
export const SOAP_ACTIONS = { send: `${ACTION_BASE}authSendDataExtraccionOp`, get: `${ACTION_BASE}getDataExtraccionOp` } as const;

export type SoapParse =
  | { readonly ok: true; readonly op: 'send'; readonly submission: Submission; readonly obra: string }
  | { readonly ok: true; readonly op: 'get'; readonly obra: string; readonly receipt: string }
  /** `structure`: answered with a SOAP Fault; `field`/`header`: with a status Code. */
  | { readonly ok: false; readonly failure: 'structure' | 'field' | 'header'; readonly message: string; readonly obra?: string; readonly op?: 'send' | 'get' };

class Refusal extends Error {
  constructor(
    readonly failure: 'structure' | 'field' | 'header',
    message: string,
  ) {
    super(message);
  }
}

/**
 * The raw request checked against the legacy XSDs by hand, order included: envelope, header
 * `authSendDataExtraccionTraza` (codigoDeLaObra, timeStampOrigen), body
 * `authSendDataExtraccionRequest` (authDataUsuario/idUsuario/rut, password, then one of the
 * measurement sequences), or `getDataExtraccionRequest` (codigoDeLaObra, numeroComprobante).
 */
export function parseSoapRequest(xml: string, soapAction: string | undefined): SoapParse {
  let obra: string | undefined;
  let op: 'send' | 'get' | undefined;
  try {
    const env = parseXml(xml);
    expectName(env, SOAP_ENV_NS, 'Envelope', 'the root');
    const parts = env.children;
    const header = parts.length === 2 ? parts[0] : undefined;
    if (header !== undefined) expectName(header, SOAP_ENV_NS, 'Header', 'Envelope child 1');
    const body = parts.at(-1);
    if (body === undefined || parts.length > 2) throw new Refusal('structure', 'Envelope must hold an optional Header and a Body');
    expectName(body, SOAP_ENV_NS, 'Body', `Envelope child ${parts.length}`);
    if (body.children.length !== 1) throw new Refusal('structure', `Body must hold exactly one element, found ${body.children.length}`);
    const request = body.children[0]!;
    op = request.ns === GET_REQ_NS && request.local === 'getDataExtraccionRequest' ? 'get' : 'send';
    const action = soapAction?.replace(/^"(.*)"$/, '$1');
    if (action !== SOAP_ACTIONS[op]) throw new Refusal('structure', `SOAPAction '${soapAction ?? ''}' must be ${SOAP_ACTIONS[op]}`);
    if (op === 'get') {
      const [codigo, receipt] = sequence(request, GET_REQ_NS, ['codigoDeLaObra', 'numeroComprobante']).map(leaf);
      obra = codigo!;
      return { ok: true, op, obra, receipt: receipt! };
    }
    expectName(request, AUTH_REQ_NS, 'authSendDataExtraccionRequest', 'Body child');
    if (header === undefined || header.children.length !== 1) throw new Refusal('structure', 'Header must hold exactly one authSendDataExtraccionTraza');
    const traza = header.children[0]!;
    expectName(traza, AUTH_REQ_NS, 'authSendDataExtraccionTraza', 'Header child');
    const [codigo, stamp] = sequence(traza, AUTH_REQ_NS, ['codigoDeLaObra', 'timeStampOrigen']).map(leaf);
    obra = codigo!;
    const badObra = checkObra(obra);
    if (badObra !== undefined) throw new Refusal('header', `codigoDeLaObra: ${badObra}`);
    const badStamp = checkXsdDateTime(stamp!);
    if (badStamp !== undefined) throw new Refusal('structure', badStamp);
    return { ok: true, op, obra, submission: sendSubmission(request, obra) };
  } catch (err) {
    if (err instanceof Refusal)
      return { ok: false, failure: err.failure, message: err.message, ...(obra !== undefined ? { obra } : {}), ...(op !== undefined ? { op } : {}) };
    if (err instanceof XmlError) return { ok: false, failure: 'structure', message: `XML mal formado: ${err.message}` };
    throw err;
  }
}

function sendSubmission(request: XmlElement, obra: string): Submission {
  const [usuario, data] = request.children;
  if (usuario === undefined || data === undefined || request.children.length !== 2) {
    throw new Refusal('structure', 'authSendDataExtraccionRequest must hold authDataUsuario then one measurement element');
  }
  const [idUsuario, password] = sequence(usuario, AUTH_REQ_NS, ['idUsuario', 'password']) as [XmlElement, XmlElement];
  const [rut] = sequence(idUsuario, AUTH_REQ_NS, ['rut']).map(leaf);
  const auth = { transport: 'soap' as const, obra, rutUsuario: rut!, password: leaf(password) };
  if (data.ns === AUTH_REQ_NS && data.local === 'authDataExtraccionSubterranea') {
    const [fecha, hora, totalizador, caudal, nivel] = sequence(data, AUTH_REQ_NS, [
      'fechaMedicion',
      'horaMedicion',
      'totalizador',
      'caudal',
      'nivelFreaticoDelPozo',
    ]).map(leaf);
    return {
      ...auth,
      kind: 'subterranea',
      fechaMedicion: isoDate(fecha!),
      horaMedicion: hora!,
      totalizador: totalizador!,
      caudal: caudal!,
      nivelFreaticoDelPozo: nivel!,
    };
  }
  if (data.ns === AUTH_REQ_NS && data.local === 'authDataExtraccionSuperficial') {
    const [fecha, hora, caudal, altura] = sequence(data, AUTH_REQ_NS, ['fechaMedicion', 'horaMedicion', 'caudal', 'alturaLimnimetrica']).map(leaf);
    return { ...auth, kind: 'superficial', fechaMedicion: isoDate(fecha!), horaMedicion: hora!, caudal: caudal!, alturaLimnimetrica: altura! };
  }
  throw new Refusal(
    'structure',
    `authSendDataExtraccionRequest child 2 must be authDataExtraccionSubterranea or authDataExtraccionSuperficial in ${AUTH_REQ_NS}, found ${describe(data)}`,
  );
}

/** The legacy XSD documents fechaMedicion as dd-mm-yyyy (REST uses YYYY-MM-DD). */
function isoDate(dmy: string): string {
  const iso = dmyToIso(dmy);
  if (iso === undefined) throw new Refusal('field', `fechaMedicion '${dmy}' debe tener formato dd-mm-yyyy`);
  return iso;
}

/** Children exactly `names`, in order, all in `ns`. */
function sequence(parent: XmlElement, ns: string, names: readonly string[]): XmlElement[] {
  names.forEach((name, i) => {
    const child = parent.children[i];
    if (child === undefined) throw new Refusal('structure', `${parent.local}: missing ${name} (expected ${names.join(', ')} in this order)`);
    if (child.ns !== ns || child.local !== name) {
      throw new Refusal(
        'structure',
        `${parent.local}: child ${i + 1} must be ${name} in ${ns}, found ${describe(child)} (expected ${names.join(', ')} in this order)`,
      );
    }
  });
  if (parent.children.length > names.length)
    throw new Refusal('structure', `${parent.local}: unexpected ${describe(parent.children[names.length]!)} after ${names.at(-1)}`);
  if (parent.text.trim() !== '') throw new Refusal('structure', `${parent.local}: unexpected text between elements`);
  return parent.children.slice(0, names.length);
}

/** A simple-typed element's text, untrimmed: stray whitespace in a value is the client's bug to see. */
function leaf(el: XmlElement): string {
  if (el.children.length > 0) throw new Refusal('structure', `${el.local} must hold text only`);
  return el.text;
}

function expectName(el: XmlElement, ns: string, local: string, what: string): void {
  if (el.ns !== ns || el.local !== local) throw new Refusal('structure', `${what} must be ${local} in ${ns}, found ${describe(el)}`);
}

function describe(el: XmlElement): string {
  return el.ns === '' ? `${el.local} (no namespace)` : `${el.local} in ${el.ns}`;
}
