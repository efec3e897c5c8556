/**
 * DGA MEE REST/JSON API (Res. Ex. DGA 2.170/2025, Manual Técnico N°1/2025 §4–5), the only interface
 * DGA accepts after 2025-07-31. Pure: builds requests and reads answers; the HTTP client lives in cloud/.
 */
import { argumentError } from './errors.ts';
import type { EmptyValueGround, Measurement, MeasurementFields, WorkKind } from './measurement.ts';
import { assertWorkKind, checkSendTime, formatMeasurement, readStoredMeasurement } from './measurement.ts';
import { assertObra } from './obra.ts';
import type { DgaOutcome, DgaQueryOutcome } from './outcome.ts';
import { classifyMessage, excerpt, isReceipt, successOutcome } from './outcome.ts';
import { normalizeRut } from './rut.ts';
import { timeStampOrigen } from './time.ts';

export const DGA_REST_BASE_URL = 'https://apimee.mop.gob.cl/api/v1';

export const REST_ROUTES = {
  subterranea: { path: '/mediciones/subterraneas', key: 'medicionSubterranea' },
  'superficial-flujometro': { path: '/mediciones/superficiales/flujometro', key: 'medicionSuperficialFlujometro' },
  superficial: { path: '/mediciones/superficiales', key: 'medicionSuperficial' },
} as const satisfies Record<WorkKind, { path: string; key: string }>;

export type MeasurementKey = (typeof REST_ROUTES)[WorkKind]['key'];

export interface DgaCredentials {
  /** RUT of the informant. */
  readonly rutUsuario: string;
  /** The informant's DGA password. Never logged. */
  readonly password: string;
  /** RUT of the registered Centro de Control (mandatory since 2025). */
  readonly rutEmpresa: string;
}

export interface RestRequestInput {
  readonly kind: WorkKind;
  readonly obra: string;
  readonly credentials: DgaCredentials;
  readonly measurement: Measurement;
  /** Send time, ms since the epoch: the `timeStampOrigen` header. */
  readonly sentAt: number;
  /** The manual's ground for sending the level or staff gauge empty; without one they are required. */
  readonly emptyGround?: EmptyValueGround;
}

export interface RestBody {
  /** Keys in the manual's order. */
  readonly autenticacion: { readonly password: string; readonly rutEmpresa: string; readonly rutUsuario: string };
  readonly medicionSubterranea?: MeasurementFields;
  readonly medicionSuperficialFlujometro?: MeasurementFields;
  readonly medicionSuperficial?: MeasurementFields;
}

export interface RestRequest {
  /** Relative to DGA_REST_BASE_URL. */
  readonly path: string;
  readonly headers: { readonly 'content-type': 'application/json'; readonly codigoObra: string; readonly timeStampOrigen: string };
  /** Every leaf a string; `JSON.stringify(body)` is the wire form. */
  readonly body: RestBody;
}

/** The POST for one measurement. Throws ATALAYA_DGA_* when anything cannot be sent as DGA requires. */
export function buildRestRequest(input: RestRequestInput): RestRequest {
  const kind = assertWorkKind(input.kind);
  const obra = assertObra(input.obra);
  const { credentials } = input;
  if (typeof credentials.password !== 'string' || credentials.password === '') throw argumentError('credentials.password', 'empty');
  const autenticacion = {
    password: credentials.password,
    rutEmpresa: normalizeRut(credentials.rutEmpresa, 'credentials.rutEmpresa'),
    rutUsuario: normalizeRut(credentials.rutUsuario, 'credentials.rutUsuario'),
  };
  checkSendTime(input.measurement.at, input.sentAt);
  const fields = formatMeasurement(kind, input.measurement, input.emptyGround);
  const route = REST_ROUTES[kind];
  return {
    path: route.path,
    headers: { 'content-type': 'application/json', codigoObra: obra, timeStampOrigen: timeStampOrigen(input.sentAt) },
    body: { autenticacion, [route.key]: fields },
  };
}

/** The GET that checks a receipt (no credentials): `<path>?codigoObra=…&numeroComprobante=…`. */
export function buildRestQuery(kind: WorkKind, obra: string, receipt: string): string {
  const route = REST_ROUTES[assertWorkKind(kind)];
  if (!isReceipt(receipt)) throw argumentError('receipt', 'expected 32 letters and digits');
  const query = new URLSearchParams({ codigoObra: assertObra(obra), numeroComprobante: receipt });
  return `${route.path}?${query.toString()}`;
}

type Json = Record<string, unknown>;

/** The answer as a JSON object, or why it is none. Proxies in front of DGA answer with HTML pages. */
function readJson(status: number, contentType: string | undefined, text: string): Json | string {
  const type = (contentType ?? '').toLowerCase();
  const start = text.trimStart();
  if (type.includes('html') || start.startsWith('<')) return `HTTP ${status}: an HTML/XML page, not a DGA answer (${excerpt(text, 80)})`;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return `HTTP ${status}: body is not JSON (${excerpt(text, 80)})`;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return `HTTP ${status}: JSON answer is not an object`;
  return value as Json;
}

const isOk = (status: number): boolean => status >= 200 && status < 300;
const asMessage = (value: unknown): string => (typeof value === 'string' ? value : '');

/**
 * One POST answer (Manual Técnico N°1/2025 §5.1, docs/dga.md#answers): HTTP 200 with `status` "00" and
 * `data.numeroComprobante` is success; `status` "00" with anything odd (no or a malformed receipt, an
 * HTTP status other than 2xx) is still success, flagged (accepted-irregular), never resent. A
 * duplicate or not-informant message is recognized whatever the HTTP status, and so is a refusal
 * carrying a receipt in `data.numeroComprobante` (a duplicate); any other `status` is a rejection;
 * the rest is not a valid DGA answer.
 */
export function parseRestAnswer(status: number, contentType: string | undefined, text: string): DgaOutcome {
  const json = readJson(status, contentType, text);
  if (typeof json === 'string') return { kind: 'invalid', reason: json };
  const code = json['status'];
  const message = asMessage(json['message']);
  if (code === '00') {
    // "00" is DGA saying it stored the measurement, whatever else is odd about the answer.
    const data = json['data'];
    const receipt = typeof data === 'object' && data !== null ? (data as Json)['numeroComprobante'] : undefined;
    return successOutcome(receipt, status);
  }
  const known = classifyMessage(message);
  if (known !== null) return known;
  // DGA documents no status code for a duplicate; a receipt in the answer's own field is the one
  // sign that does not depend on wording: DGA hands out receipts only for what it stored.
  const data = json['data'];
  const held = typeof data === 'object' && data !== null ? (data as Json)['numeroComprobante'] : undefined;
  if (isReceipt(held)) return { kind: 'duplicate', receipt: held };
  if (typeof code !== 'string') return { kind: 'invalid', reason: `HTTP ${status}: no DGA status field (${excerpt(message || text, 80)})` };
  return { kind: 'rejected', status, code, message };
}

/** One GET answer: `data` holds the stored measurement, dates `DD-MM-YYYY` (compare with sameMeasurement). */
export function parseRestQueryAnswer(status: number, contentType: string | undefined, text: string): DgaQueryOutcome {
  const json = readJson(status, contentType, text);
  if (typeof json === 'string') return { kind: 'invalid', reason: json };
  const code = json['status'];
  if (code === '00' && isOk(status)) {
    const measurement = readStoredMeasurement(json['data']);
    if (typeof measurement === 'string') return { kind: 'invalid', reason: `HTTP ${status}: ${measurement}` };
    return { kind: 'found', measurement };
  }
  if (typeof code !== 'string' || code === '00') return { kind: 'invalid', reason: `HTTP ${status}: no usable DGA status` };
  return { kind: 'rejected', status, code, message: asMessage(json['message']) };
}
