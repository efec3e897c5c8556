/**
 * Measurement values as DGA wants them: JSON strings (REST) or xsd:decimal text (SOAP), dot separator,
 * no thousands separator (Manual Técnico N°1/2025 §4, "Notas" of each POST). Every function refuses
 * rather than invents: a value it cannot send faithfully is an ATALAYA_DGA_VALUE error naming the field.
 */
import { valueError } from './errors.ts';

/** Largest magnitude formatted: below it `Number#toString` has no exponent and the integer part is exact. */
const MAX_MAGNITUDE = 1e15;
/** The manual's limit on `totalizador`. */
export const TOTALIZADOR_MAX_CHARS = 15;
/**
 * A totalizer this close below an integer is that integer: scaling a register in binary floating point
 * leaves artefacts such as 10110 × 0.1 = 1010.9999999999999, which plain flooring would turn into 1010.
 * 1e-6 m³ is one millilitre.
 */
const TOTALIZER_EPSILON_M3 = 1e-6;

function checkNumber(field: string, value: number): void {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw valueError(field, 'not a finite number', value);
  if (value < 0) throw valueError(field, 'negative', value);
  if (value >= MAX_MAGNITUDE) throw valueError(field, `not below ${MAX_MAGNITUDE}`, value);
}

/**
 * `value` (≥ 0, < 1e15) with exactly `places` decimals (0–6), rounded half away from zero on the
 * shortest decimal form of the number, i.e. the value as a person reads it: 1.005 → "1.01", where
 * `toFixed` would give "1.00" because the binary double lies just below 1.005.
 */
export function roundDecimal(value: number, places: number): string {
  const shortest = Math.abs(value).toString();
  // Below 1e-6 the shortest form uses an exponent; such a value rounds to zero at ≤ 6 places.
  const [int = '0', frac = ''] = shortest.includes('e-') ? ['0', ''] : shortest.split('.');
  let digits = BigInt(int + frac.slice(0, places).padEnd(places, '0'));
  if ((frac[places] ?? '0') >= '5') digits += 1n;
  const text = digits.toString().padStart(places + 1, '0');
  return places === 0 ? text : `${text.slice(0, -places)}.${text.slice(-places)}`;
}

/** `caudal`: l/s, exactly 2 decimals ("numérico con 2 decimales"), rounded half away from zero. Negative refused. */
export function formatCaudal(litresPerSecond: number): string {
  checkNumber('caudal', litresPerSecond);
  return roundDecimal(litresPerSecond, 2);
}

/**
 * `totalizador`: m³, integer, at most 15 characters ("sin decimales y sin separador de miles … máximo
 * de 15 caracteres"). Floored, not rounded: DGA wants the cumulative volume and a reported total must
 * never exceed what the meter shows.
 */
export function formatTotalizador(cubicMetres: number): string {
  checkNumber('totalizador', cubicMetres);
  const nearest = Math.round(cubicMetres);
  const whole = Math.abs(cubicMetres - nearest) < TOTALIZER_EPSILON_M3 ? nearest : Math.floor(cubicMetres);
  const text = String(whole);
  if (text.length > TOTALIZADOR_MAX_CHARS) throw valueError('totalizador', `more than ${TOTALIZADOR_MAX_CHARS} characters`, cubicMetres);
  return text;
}

/**
 * `nivelFreaticoDelPozo`: metres from the surface down to the water, 2 decimals, ≥ 0. The level itself
 * (sensor depth − water column, clamped at 0) is computed before it reaches here.
 */
export function formatNivelFreatico(metres: number): string {
  checkNumber('nivelFreaticoDelPozo', metres);
  return roundDecimal(metres, 2);
}

/** `alturaLimnimetrica`: staff-gauge height in cm, integer ("sin decimales"), rounded half away from zero, ≥ 0. */
export function formatAlturaLimnimetrica(centimetres: number): string {
  checkNumber('alturaLimnimetrica', centimetres);
  return roundDecimal(centimetres, 0);
}

/**
 * A DGA decimal string as a number, for comparing what was sent with what a GET returns ("1.00" and
 * "1" are the same caudal). Null when the text is not a plain decimal.
 */
export function parseDgaDecimal(text: string): number | null {
  const trimmed = text.trim();
  if (!/^-?(\d+(\.\d*)?|\.\d+)$/.test(trimmed)) return null;
  return Number(trimmed);
}
