import { describe, expect, it } from 'vitest';
import {
  ATALAYA_DGA_VALUE,
  formatAlturaLimnimetrica,
  formatCaudal,
  formatNivelFreatico,
  formatTotalizador,
  isDgaError,
  parseDgaDecimal,
  roundDecimal,
} from '../../protocols/dga/index.ts';

function refusal(fn: () => unknown): { code: string; field: unknown } | undefined {
  try {
    fn();
  } catch (err) {
    if (!isDgaError(err)) throw err;
    return { code: err.code, field: err.details?.['field'] };
  }
  return undefined;
}

describe('caudal: l/s, exactly 2 decimals, half away from zero (Manual Técnico N°1/2025 §4)', () => {
  it.each([
    [1, '1.00'],
    [15.31, '15.31'],
    [15.305, '15.31'],
    [1.005, '1.01'],
    [2.675, '2.68'],
    [0.004, '0.00'],
    [0.005, '0.01'],
    [0.995, '1.00'],
    [9.995, '10.00'],
    [1e-7, '0.00'],
    [123456.789, '123456.79'],
    [-0, '0.00'],
  ])('%s → %s', (value, text) => {
    expect(formatCaudal(value)).toBe(text);
  });

  it('refuses negative and non-finite values, naming the field', () => {
    for (const bad of [-0.01, -1, Number.NaN, Number.POSITIVE_INFINITY, 1e15]) {
      expect(refusal(() => formatCaudal(bad))).toEqual({ code: ATALAYA_DGA_VALUE, field: 'caudal' });
    }
  });
});

describe('totalizador: m³, integer, ≤ 15 characters, floored', () => {
  it.each([
    [1010, '1010'],
    [1010.9, '1010'],
    [0.4, '0'],
    [10110 * 0.1, '1011'],
    [999_999_999_999_999, '999999999999999'],
  ])('%s → %s', (value, text) => {
    expect(formatTotalizador(value)).toBe(text);
  });

  it('refuses more than 15 digits, negatives and NaN', () => {
    for (const bad of [1e15, -1, Number.NaN]) expect(refusal(() => formatTotalizador(bad))).toEqual({ code: ATALAYA_DGA_VALUE, field: 'totalizador' });
  });
});

describe('nivelFreaticoDelPozo and alturaLimnimetrica', () => {
  it('writes the level in m with 2 decimals, ≥ 0', () => {
    expect(formatNivelFreatico(9.85)).toBe('9.85');
    expect(formatNivelFreatico(9.849)).toBe('9.85');
    expect(formatNivelFreatico(0)).toBe('0.00');
    expect(refusal(() => formatNivelFreatico(-0.5))).toEqual({ code: ATALAYA_DGA_VALUE, field: 'nivelFreaticoDelPozo' });
  });

  it('writes the staff-gauge height in whole cm, ≥ 0', () => {
    expect(formatAlturaLimnimetrica(5)).toBe('5');
    expect(formatAlturaLimnimetrica(4.5)).toBe('5');
    expect(formatAlturaLimnimetrica(4.49)).toBe('4');
    expect(refusal(() => formatAlturaLimnimetrica(-1))).toEqual({ code: ATALAYA_DGA_VALUE, field: 'alturaLimnimetrica' });
  });

  it('rounds any number of places up to 6 on the shortest decimal form', () => {
    expect(roundDecimal(0.125, 2)).toBe('0.13');
    expect(roundDecimal(1.5, 0)).toBe('2');
    expect(roundDecimal(2.5, 0)).toBe('3');
    expect(roundDecimal(12.3456785, 6)).toBe('12.345679');
  });

  it('parses DGA decimals for comparison, refusing anything else', () => {
    expect(parseDgaDecimal('1.00')).toBe(1);
    expect(parseDgaDecimal('1')).toBe(1);
    expect(parseDgaDecimal(' 9.850 ')).toBe(9.85);
    expect(parseDgaDecimal('1,00')).toBeNull();
    expect(parseDgaDecimal('')).toBeNull();
    expect(parseDgaDecimal('1e3')).toBeNull();
  });
});
