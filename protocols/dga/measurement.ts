/**
 * The three kinds of work DGA receives and what each measurement carries (Manual Técnico N°1/2025 §4),
 * shared by the REST and SOAP codecs.
 */
import { argumentError, timeError, valueError } from './errors.ts';
import { formatAlturaLimnimetrica, formatCaudal, formatNivelFreatico, formatTotalizador, parseDgaDecimal } from './format.ts';
import { normalizeDgaDate, toDgaDateTime } from './time.ts';

/** `subterranea`: a well; `superficial-flujometro`: surface work with a flowmeter; `superficial`: surface work with a staff gauge. */
export const WORK_KINDS = ['subterranea', 'superficial-flujometro', 'superficial'] as const;
export type WorkKind = (typeof WORK_KINDS)[number];

/** What the relay knows about one slot, in engineering units; null or absent when not measured. */
export interface Measurement {
  /** Measurement instant, ms since the epoch (sent as UTC-4 date and hour). */
  readonly at: number;
  /** l/s, ≥ 0. */
  readonly caudal?: number | null;
  /** m³, ≥ 0, cumulative (already unwrapped, see slots.ts). */
  readonly totalizador?: number | null;
  /** m from the surface down to the water, ≥ 0. Wells only. */
  readonly nivelFreatico?: number | null;
  /** cm on the staff gauge, ≥ 0. Surface works without flowmeter only. */
  readonly alturaLimnimetrica?: number | null;
}

/**
 * A measurement as DGA holds it: every value a string. This is the REST body's inner object, keys in
 * the manual's (alphabetical) order; `fechaMedicion` is `YYYY-MM-DD`.
 */
export interface MeasurementFields {
  readonly alturaLimnimetrica?: string;
  readonly caudal?: string;
  readonly fechaMedicion: string;
  readonly horaMedicion: string;
  readonly nivelFreaticoDelPozo?: string;
  readonly totalizador?: string;
}

type NumericInput = 'caudal' | 'totalizador' | 'nivelFreatico' | 'alturaLimnimetrica';
/** `required`: must be present; `optional`: sent as "" when absent on one of the manual's grounds (mayBeEmpty), else required; `absent`: must not be given. */
type Presence = 'required' | 'optional' | 'absent';

/**
 * The grounds on which the manual lets a value be sent empty (Manual Técnico N°1/2025, the notes to
 * the REST payloads): `nivelFreaticoDelPozo` for the "caudales muy pequeños" standard and for mining
 * water ("aguas del minero"); `alturaLimnimetrica` for "caudales muy pequeños" and for automated gates
 * that compute the flow themselves. No other obra may send them empty.
 */
export const EMPTY_VALUE_GROUNDS = ['muy-pequenos', 'aguas-del-minero', 'compuerta-automatizada'] as const;
export type EmptyValueGround = (typeof EMPTY_VALUE_GROUNDS)[number];

const EMPTY_ALLOWED: Readonly<Partial<Record<NumericInput, readonly EmptyValueGround[]>>> = {
  nivelFreatico: ['muy-pequenos', 'aguas-del-minero'],
  alturaLimnimetrica: ['muy-pequenos', 'compuerta-automatizada'],
};

/** Whether `field` may be sent empty on `ground` (undefined: no ground, never). */
export function mayBeEmpty(field: 'nivelFreatico' | 'alturaLimnimetrica', ground: EmptyValueGround | undefined): boolean {
  return ground !== undefined && (EMPTY_ALLOWED[field] ?? []).includes(ground);
}

/**
 * Per kind: `optional` fields may be empty only on one of EMPTY_VALUE_GROUNDS (mayBeEmpty); without
 * one they are required. A value given for a field the kind does not have is refused rather than
 * dropped, since it means the obra is configured as the wrong kind.
 */
const PRESENCE: Readonly<Record<WorkKind, Readonly<Record<NumericInput, Presence>>>> = {
  subterranea: { caudal: 'required', totalizador: 'required', nivelFreatico: 'optional', alturaLimnimetrica: 'absent' },
  'superficial-flujometro': { caudal: 'required', totalizador: 'required', nivelFreatico: 'absent', alturaLimnimetrica: 'absent' },
  superficial: { caudal: 'required', totalizador: 'absent', nivelFreatico: 'absent', alturaLimnimetrica: 'optional' },
};

export function assertWorkKind(kind: string): WorkKind {
  if (!(WORK_KINDS as readonly string[]).includes(kind)) throw argumentError('kind', `expected one of ${WORK_KINDS.join(', ')}`);
  return kind as WorkKind;
}

function field(kind: WorkKind, m: Measurement, name: NumericInput, format: (v: number) => string, ground: EmptyValueGround | undefined): string | undefined {
  const value = m[name];
  const presence = PRESENCE[kind][name];
  const given = value !== undefined && value !== null;
  if (presence === 'absent') {
    if (given) throw valueError(name, `not part of a ${kind} measurement`, value);
    return undefined;
  }
  if (!given) {
    if (presence === 'required') throw valueError(name, `required for a ${kind} measurement`);
    if (name === 'nivelFreatico' || name === 'alturaLimnimetrica') {
      if (!mayBeEmpty(name, ground))
        throw valueError(name, `may be empty only for the ${EMPTY_ALLOWED[name]?.join(' or ')} grounds of the manual (got ${ground ?? 'none'})`);
    }
    return '';
  }
  return format(value);
}

/** Throws ATALAYA_DGA_TIME when the measurement lies after the send time (DGA refuses future measurements). */
export function checkSendTime(at: number, sentAt: number): void {
  toDgaDateTime(sentAt);
  if (at > sentAt) throw timeError('measurement.at', 'after the send time', at);
}

/**
 * The measurement's fields as strings, keys in the manual's order. `emptyGround`: the ground on which
 * the obra may leave its level or staff gauge empty (EMPTY_VALUE_GROUNDS); without one an absent level
 * or staff gauge is refused. Throws ATALAYA_DGA_VALUE / _TIME.
 */
export function formatMeasurement(kind: WorkKind, m: Measurement, emptyGround?: EmptyValueGround): MeasurementFields {
  assertWorkKind(kind);
  const { date, hour } = toDgaDateTime(m.at);
  const alturaLimnimetrica = field(kind, m, 'alturaLimnimetrica', formatAlturaLimnimetrica, emptyGround);
  const caudal = field(kind, m, 'caudal', formatCaudal, emptyGround);
  const nivelFreaticoDelPozo = field(kind, m, 'nivelFreatico', formatNivelFreatico, emptyGround);
  const totalizador = field(kind, m, 'totalizador', formatTotalizador, emptyGround);
  return {
    ...(alturaLimnimetrica === undefined ? {} : { alturaLimnimetrica }),
    ...(caudal === undefined ? {} : { caudal }),
    fechaMedicion: date,
    horaMedicion: hour,
    ...(nivelFreaticoDelPozo === undefined ? {} : { nivelFreaticoDelPozo }),
    ...(totalizador === undefined ? {} : { totalizador }),
  };
}

const NUMERIC_FIELDS = ['alturaLimnimetrica', 'caudal', 'nivelFreaticoDelPozo', 'totalizador'] as const;

/**
 * The fields on which what DGA stored (`got`, e.g. from a GET) differs from what was sent. Dates may
 * be `YYYY-MM-DD` or `DD-MM-YYYY`; numbers compare numerically because DGA strips trailing zeros
 * ("1.00" comes back "1"); an absent field equals an empty one. An empty `got.horaMedicion` (the
 * legacy SOAP answer has no hour) is not compared.
 */
export function measurementDifferences(sent: MeasurementFields, got: MeasurementFields): string[] {
  const out: string[] = [];
  const sentDate = normalizeDgaDate(sent.fechaMedicion);
  if (sentDate === null || sentDate !== normalizeDgaDate(got.fechaMedicion)) out.push('fechaMedicion');
  if (got.horaMedicion !== '' && sent.horaMedicion !== got.horaMedicion) out.push('horaMedicion');
  for (const name of NUMERIC_FIELDS) {
    const a = sent[name] ?? '';
    const b = got[name] ?? '';
    if (a === '' && b === '') continue;
    const x = a === '' ? null : parseDgaDecimal(a);
    const y = b === '' ? null : parseDgaDecimal(b);
    if (x === null || y === null || x !== y) out.push(name);
  }
  return out;
}

const LOOSE_HOUR = /^(\d{1,2}):(\d{2})(?::(\d{2}))?$/;

/**
 * What DGA returns for a receipt (REST GET `data`, SOAP `medicion`) as MeasurementFields, or why it
 * cannot be read. `fechaMedicion` comes back `DD-MM-YYYY` and is normalized to `YYYY-MM-DD`; numbers
 * are tolerated where strings are documented. The legacy SOAP answer has no hour: with
 * `hour: 'absent'` horaMedicion is "" and measurementDifferences does not compare it.
 */
export function readStoredMeasurement(data: unknown, hour: 'required' | 'absent' = 'required'): MeasurementFields | string {
  if (typeof data !== 'object' || data === null) return 'no measurement object';
  const d = data as Record<string, unknown>;
  const fecha = typeof d['fechaMedicion'] === 'string' ? normalizeDgaDate(d['fechaMedicion']) : null;
  if (fecha === null) return 'fechaMedicion missing or not a date';
  let horaMedicion = '';
  if (hour === 'required') {
    const hora = typeof d['horaMedicion'] === 'string' ? LOOSE_HOUR.exec(d['horaMedicion']) : null;
    if (hora === null) return 'horaMedicion missing or not HH:MM:SS';
    horaMedicion = `${(hora[1] as string).padStart(2, '0')}:${hora[2] as string}:${hora[3] ?? '00'}`;
  }
  const fields: Record<string, string> = {};
  for (const name of NUMERIC_FIELDS) {
    const value = d[name];
    if (value === undefined || value === null) continue;
    if (typeof value !== 'string' && typeof value !== 'number') return `${name} is neither a string nor a number`;
    fields[name] = String(value);
  }
  const { alturaLimnimetrica, caudal, nivelFreaticoDelPozo, totalizador } = fields;
  return {
    ...(alturaLimnimetrica === undefined ? {} : { alturaLimnimetrica }),
    ...(caudal === undefined ? {} : { caudal }),
    fechaMedicion: fecha,
    horaMedicion,
    ...(nivelFreaticoDelPozo === undefined ? {} : { nivelFreaticoDelPozo }),
    ...(totalizador === undefined ? {} : { totalizador }),
  };
}

export function sameMeasurement(sent: MeasurementFields, got: MeasurementFields): boolean {
  return measurementDifferences(sent, got).length === 0;
}
