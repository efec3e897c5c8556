import { describe, expect, it } from 'vitest';
import {
  ATALAYA_DGA_OBRA,
  ATALAYA_DGA_RUT,
  assertObra,
  isDgaError,
  isValidObra,
  isValidRut,
  normalizeRut,
  parseObra,
  rutCheckDigit,
} from '../../protocols/dga/index.ts';

function refusal(fn: () => unknown): { code: string; reason: unknown } | undefined {
  try {
    fn();
  } catch (err) {
    if (!isDgaError(err)) throw err;
    return { code: err.code, reason: err.details?.['reason'] };
  }
  return undefined;
}

describe('RUT (mod-11 check digit)', () => {
  it.each([
    ['12345678', '5'],
    ['20999888', '2'],
    ['77555666', '8'],
    ['11111111', '1'],
    ['7654321', '6'],
    ['6', 'K'],
    ['1000005', 'K'],
    ['10000013', 'K'],
    ['5000001', 'K'],
  ])('check digit of %s is %s', (body, digit) => {
    expect(rutCheckDigit(body)).toBe(digit);
  });

  it.each([
    ['12.345.678-5', '12345678-5'],
    ['12345678-5', '12345678-5'],
    [' 12 345 678-5 ', '12345678-5'],
    ['1.000.005-k', '1000005-K'],
    ['10.000.013-K', '10000013-K'],
    ['05.000.001-k', '5000001-K'],
    ['6-k', '6-K'],
  ])('normalizes %j to %s', (input, out) => {
    expect(normalizeRut(input)).toBe(out);
    expect(isValidRut(input)).toBe(true);
  });

  it.each([
    ['12345678-6', 'check-digit'],
    ['1000005-0', 'check-digit'],
    ['10000013-1', 'check-digit'],
    // The manual's examples (Res. 2.170/2025 §4) are placeholders whose check digits are wrong.
    ['20999888-7', 'check-digit'],
    ['77555666-7', 'check-digit'],
    ['123456785', 'format'],
    ['12345678-X', 'format'],
    ['12,345,678-5', 'format'],
    ['', 'format'],
    ['-5', 'format'],
  ])('refuses %j (%s)', (input, reason) => {
    expect(refusal(() => normalizeRut(input, 'rutUsuario'))).toEqual({ code: ATALAYA_DGA_RUT, reason });
    expect(isValidRut(input)).toBe(false);
  });

  it('names the field in the error, never the RUT', () => {
    try {
      normalizeRut('20999888-7', 'credentials.rutUsuario');
      expect.unreachable();
    } catch (err) {
      expect(isDgaError(err, ATALAYA_DGA_RUT)).toBe(true);
      expect(JSON.stringify((err as { details: unknown }).details)).not.toContain('20999888');
      expect((err as Error).message).not.toContain('20999888');
    }
  });
});

describe('obra code (Manual Técnico N°1/2025 §5.2)', () => {
  it('reads the manual example OB-0602-7: 7th captación of O’Higgins (06), Colchagua (02)', () => {
    expect(parseObra('OB-0602-7')).toEqual({ code: 'OB-0602-7', tipo: 'captacion', region: 6, provincia: 2, correlativo: 7 });
    expect(parseObra('OR-1301-125')).toMatchObject({ tipo: 'restitucion', region: 13, provincia: 1, correlativo: 125 });
    expect(assertObra('OB-0101-114')).toBe('OB-0101-114');
  });

  it.each(['ob-0602-7', 'OB-602-7', 'OB-0602-', 'OX-0602-7', 'OB-0602-0', ' OB-0602-7', 'OB-0602-7 ', 'OB_0602_7', 'OB-06-02-7'])('refuses %j', (code) => {
    expect(refusal(() => parseObra(code))?.code).toBe(ATALAYA_DGA_OBRA);
    expect(isValidObra(code)).toBe(false);
  });
});
