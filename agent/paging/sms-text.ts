import { smsBody } from '../../protocols/notify/sms-text.ts';

/**
 * The text written after the `> ` prompt of AT+CMGS in text mode with AT+CSCS="GSM". The message
 * is first fitted into one SMS by protocols/notify/sms-text.ts (GSM 7-bit alphabet, 160 septets,
 * transliteration); then only the characters whose GSM-7 code equals their ASCII code go down the
 * serial line as they are (3GPP TS 23.038 §6.2.1). The others cannot be written as one byte
 * each: `@` is 0x00, `$` 0x02, `_` 0x11, `ñ` 0x7D…, the extension characters need ESC (0x1B),
 * which cancels the message in text mode (TS 27.005 §3.5.1), and 0x1A would send it early. So
 * accents are dropped (ñ → n, é → e) and anything else becomes '?': one character for one, so the
 * fitted length holds.
 */
const SAFE = /[A-Za-z0-9 !"#%&'()*+,\-./:;<=>?\n]/;

export function modemText(title: string, text: string): string {
  let out = '';
  for (const ch of smsBody(title, text)) {
    const bare = ch.normalize('NFD').replace(/\p{M}/gu, '');
    out += bare.length === 1 && SAFE.test(bare) ? bare : ch === '\r' ? ' ' : '?';
  }
  return out;
}
