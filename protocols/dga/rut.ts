/**
 * Chilean RUT (Rol Único Tributario) as DGA wants it: digits, no dots, a dash, and the check digit
 * 0-9 or K (Manual Técnico N°1/2025 §4: `rutEmpresa`, `rutUsuario`; e.g. `20999888-7`).
 */
import { rutError } from './errors.ts';

const NORMALIZED = /^(\d{1,9})-([0-9K])$/;

/**
 * Mod-11 check digit of the RUT body: digits weighted 2, 3, 4, 5, 6, 7, 2, 3, … from the right,
 * 11 − (sum mod 11), where 11 is written 0 and 10 is written K.
 */
export function rutCheckDigit(body: string): string {
  if (!/^\d+$/.test(body)) throw rutError('rut', 'format');
  let sum = 0;
  let weight = 2;
  for (let i = body.length - 1; i >= 0; i--) {
    sum += Number(body[i]) * weight;
    weight = weight === 7 ? 2 : weight + 1;
  }
  const digit = 11 - (sum % 11);
  return digit === 11 ? '0' : digit === 10 ? 'K' : String(digit);
}

/**
 * `12.345.678-5` → `12345678-5`: dots and whitespace removed, `k` upper-cased, leading zeros of the
 * body dropped. Throws ATALAYA_DGA_RUT (`reason` `format` or `check-digit`); `field` names the
 * argument in the error (`rutUsuario`, `rutEmpresa`, …), never the RUT itself.
 */
export function normalizeRut(input: string, field = 'rut'): string {
  if (typeof input !== 'string') throw rutError(field, 'format');
  const compact = input.replace(/[.\s]/g, '').toUpperCase();
  const match = NORMALIZED.exec(compact);
  if (match === null) throw rutError(field, 'format');
  const body = (match[1] as string).replace(/^0+(?=\d)/, '');
  const check = match[2] as string;
  if (rutCheckDigit(body) !== check) throw rutError(field, 'check-digit');
  return `${body}-${check}`;
}

export function isValidRut(input: string): boolean {
  try {
    normalizeRut(input);
    return true;
  } catch {
    return false;
  }
}
