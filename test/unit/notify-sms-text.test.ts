import { describe, expect, it } from 'vitest';
import { fitSms, isGsm7, septetCount, smsBody, toGsm7 } from '../../protocols/notify/sms-text.ts';

describe('SMS text in GSM-7 (3GPP TS 23.038 §6.2.1)', () => {
  it('keeps the Spanish letters GSM-7 has and transliterates the others', () => {
    expect(toGsm7('¿ ¡ ñ Ñ é É ü Ü')).toBe('¿ ¡ ñ Ñ é É ü Ü');
    expect(toGsm7('á í ó ú Á Í Ó Ú')).toBe('a i o u A I O U');
    expect(toGsm7('Alarma CH4 alta: 25,3 %LEL en pozo Nº 3 — ¿acción?')).toBe('Alarma CH4 alta: 25,3 %LEL en pozo No 3 - ¿accion?');
    expect(toGsm7('“hola” ‘x’ … 20 °C')).toBe('"hola" \'x\' ... 20 oC');
  });

  it('turns what has no close form into ?', () => {
    expect(toGsm7('ok 😀 中')).toBe('ok ? ?');
    expect(isGsm7('ok 😀')).toBe(false);
    expect(isGsm7('¿Qué?')).toBe(true);
  });

  it('counts the extension table as two septets (§6.2.1.1)', () => {
    expect(septetCount('abc')).toBe(3);
    expect(septetCount('€[]{}^~\\|')).toBe(18);
    expect(septetCount('ó')).toBe(1);
  });

  it('leaves a message of 160 septets whole', () => {
    const s = `${'a'.repeat(158)}€`;
    expect(septetCount(s)).toBe(160);
    expect(fitSms(s)).toBe(s);
  });

  it('cuts a longer one at 157 septets and ends it with ...', () => {
    const out = fitSms('b'.repeat(200));
    expect(out).toBe(`${'b'.repeat(157)}...`);
    expect(septetCount(out)).toBe(160);
  });

  it('never splits an escape pair: an extension character that would cross the limit is left out whole', () => {
    const out = fitSms(`${'a'.repeat(156)}€€€€€`);
    expect(out).toBe(`${'a'.repeat(156)}...`);
    expect(septetCount(out)).toBe(159);
  });

  it('collapses runs of spaces and blank lines', () => {
    expect(fitSms('  a   b \n\n\n c  ')).toBe('a b\nc');
  });

  it('fits the issue example, title first, within 160 septets', () => {
    const body = smsBody(
      'Alarma CH4 alta: 25,3 %LEL en pozo Nº 3 — ¿acción?',
      'Gateway gw-1, detector det-1. Nivel alto 2 desde las 14:03. Revise la ventilación y evacúe si supera 50 %LEL. Confirme con el enlace del correo.',
    );
    expect(body.startsWith('Alarma CH4 alta: 25,3 %LEL en pozo No 3 - ¿accion?\nGateway gw-1')).toBe(true);
    expect(septetCount(body)).toBeLessThanOrEqual(160);
    expect(isGsm7(body)).toBe(true);
    expect(body.endsWith('...')).toBe(true);
  });
});
