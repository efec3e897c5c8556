/**
 * Value rules of the DGA double, written from the manual and not shared with the client on
 * purpose: the double stands for DGA and must catch the client's mistakes, not repeat them.
 * Each check returns undefined when the value is good, else a problem that names the field.
 */

/** Fixed UTC-4 all year (Res. 2.170/2025 §4): America/Santiago's summer UTC-3 is not used. */
export const DGA_UTC_OFFSET_MS = -4 * 3_600_000;

/** `^O[BR]-\d{4}-\d+$`, correlative ≥ 1 (Manual Técnico 1/2025 §5.2). */
export function checkObra(value: string): string | undefined {
  const m = /^O[BR]-\d{4}-(\d+)$/.exec(value);
  return m !== null && Number(m[1]) >= 1 ? undefined : `codigoObra '${value}' no tiene el formato OB-RRPP-N / OR-RRPP-N`;
}

/** Digits, no dots, dash, mod-11 check digit 0-9 or K (upper or lower case). */
export function checkRut(field: string, value: string): string | undefined {
  const m = /^(\d{1,8})-([\dkK])$/.exec(value);
  if (m === null) return `${field} '${value}' no tiene el formato 12345678-9 (sin puntos, con guion)`;
  let sum = 0;
  let factor = 2;
  for (const digit of m[1]!.split('').reverse()) {
    sum += Number(digit) * factor;
    factor = factor === 7 ? 2 : factor + 1;
  }
  const rest = 11 - (sum % 11);
  const expected = rest === 11 ? '0' : rest === 10 ? 'K' : String(rest);
  return m[2]!.toUpperCase() === expected ? undefined : `${field} '${value}': dígito verificador incorrecto`;
}

/** l/s, dot separator, exactly two decimals, not negative. */
export function checkCaudal(value: string): string | undefined {
  return /^\d{1,12}\.\d{2}$/.test(value) ? undefined : `caudal '${value}' debe ser numérico con 2 decimales (l/s)`;
}

/** m³, integer without separators, at most 15 characters. */
export function checkTotalizador(value: string): string | undefined {
  return /^\d{1,15}$/.test(value) ? undefined : `totalizador '${value}' debe ser un entero sin decimales ni separadores, máximo 15 caracteres (m3)`;
}

/** Metres below ground, two decimals, ≥ 0; "" only where the obra may omit it. */
export function checkNivel(value: string, allowEmpty: boolean): string | undefined {
  if (value === '') return allowEmpty ? undefined : 'nivelFreaticoDelPozo vacío: sólo permitido para caudales muy pequeños y aguas del minero';
  return /^\d{1,6}\.\d{2}$/.test(value) ? undefined : `nivelFreaticoDelPozo '${value}' debe ser numérico con 2 decimales, mayor o igual a 0 (m)`;
}

/** Staff gauge, centimetres, integer (a reading below the gauge zero is allowed: a GUESS); "" where the obra may omit it. */
export function checkAltura(value: string, allowEmpty: boolean): string | undefined {
  if (value === '') return allowEmpty ? undefined : 'alturaLimnimetrica vacía: sólo permitida para caudales muy pequeños y compuertas automatizadas';
  return /^-?\d{1,6}$/.test(value) ? undefined : `alturaLimnimetrica '${value}' debe ser un entero (cm)`;
}

/** A calendar date, or undefined. */
function calendar(y: number, m: number, d: number): boolean {
  const t = new Date(Date.UTC(y, m - 1, d));
  return t.getUTCFullYear() === y && t.getUTCMonth() === m - 1 && t.getUTCDate() === d && y >= 1900;
}

/** REST `fechaMedicion` YYYY-MM-DD → the same string, or a problem. */
export function checkFechaIso(value: string): string | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  return m !== null && calendar(Number(m[1]), Number(m[2]), Number(m[3])) ? undefined : `fechaMedicion '${value}' debe tener formato YYYY-MM-DD`;
}

/** SOAP `fechaMedicion` dd-mm-yyyy (legacy XSD) → YYYY-MM-DD, or undefined when malformed. */
export function dmyToIso(value: string): string | undefined {
  const m = /^(\d{2})-(\d{2})-(\d{4})$/.exec(value);
  if (m === null || !calendar(Number(m[3]), Number(m[2]), Number(m[1]))) return undefined;
  return `${m[3]}-${m[2]}-${m[1]}`;
}

export function isoToDmy(iso: string): string {
  return `${iso.slice(8, 10)}-${iso.slice(5, 7)}-${iso.slice(0, 4)}`;
}

/** `horaMedicion` HH:MM:SS, 24 h. */
export function checkHora(value: string): string | undefined {
  return /^([01]\d|2[0-3]):[0-5]\d:[0-5]\d$/.test(value) ? undefined : `horaMedicion '${value}' debe tener formato HH24:MI:SS`;
}

/** The instant a (YYYY-MM-DD, HH:MM:SS) pair stands for, read in fixed UTC-4. */
export function measurementInstant(fechaIso: string, hora: string): number {
  const [y, mo, d] = fechaIso.split('-').map(Number) as [number, number, number];
  const [h, mi, s] = hora.split(':').map(Number) as [number, number, number];
  return Date.UTC(y, mo - 1, d, h, mi, s) - DGA_UTC_OFFSET_MS;
}

/**
 * `timeStampOrigen`: the manual prints `yyyy-MM-ddTHH:mm:ss-0000`; public clients send other
 * offsets (`-04:00`, `-0400`, `Z`, none) and the server seems lenient, so any of those parse.
 * Returns the instant (no offset: read as UTC-4), or undefined.
 */
export function parseTimeStampOrigen(value: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|[+-]\d{2}(?::?\d{2})?)?$/.exec(value);
  if (m === null) return undefined;
  const [y, mo, d, h, mi, s] = [1, 2, 3, 4, 5, 6].map((i) => Number(m[i]));
  if (!calendar(y!, mo!, d!) || h! > 23 || mi! > 59 || s! > 59) return undefined;
  const local = Date.UTC(y!, mo! - 1, d!, h!, mi!, s!);
  const zone = m[8];
  if (zone === undefined) return local - DGA_UTC_OFFSET_MS;
  if (zone === 'Z') return local;
  const digits = zone.slice(1).replace(':', '');
  const offsetMin = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || '0');
  if (offsetMin > 14 * 60) return undefined;
  return local - (zone[0] === '-' ? -1 : 1) * offsetMin * 60_000;
}

/** xsd:dateTime (SOAP header `timeStampOrigen`): YYYY-MM-DDTHH:MM:SS[.f][Z|±HH:MM]. */
export function checkXsdDateTime(value: string): string | undefined {
  const ok = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?$/.test(value) && parseTimeStampOrigen(value) !== undefined;
  return ok ? undefined : `timeStampOrigen '${value}' no es un xsd:dateTime`;
}

/**
 * How the real GET gives numbers back: trailing fractional zeros (and a bare dot) stripped, so
 * "1.00" → "1", "1.50" → "1.5"; integers lose leading zeros. Clients must compare numerically.
 */
export function stripNumber(value: string): string {
  if (value === '') return value;
  const negative = value.startsWith('-');
  const [int = '', frac = ''] = (negative ? value.slice(1) : value).split('.');
  const i = int.replace(/^0+(?=\d)/, '');
  const f = frac.replace(/0+$/, '');
  const out = f === '' ? i : `${i}.${f}`;
  return negative && out !== '0' ? `-${out}` : out;
}
