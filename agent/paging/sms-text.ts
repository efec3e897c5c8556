/**
 * Fits a message into one SMS the modem can take in text mode with AT+CSCS="GSM": at most 160
 * characters of the part of the GSM 7-bit default alphabet (3GPP TS 23.038 §6.2.1) that has the
 * same code as ASCII, so the bytes written to the port need no translation table. Accents are
 * dropped (é → e, ñ → n), anything else becomes '?'; a cut message ends with '…' spelt '..'.
 *
 * Minimal on purpose: protocols/notify/sms-text.ts (full GSM-7 with its extension table and
 * concatenated messages) is being written beside this for the relay's SMS channel; this one goes
 * once that lands.
 */
export const SMS_MAX_CHARS = 160;

/** Printable ASCII that GSM-7 codes the same, minus @ $ _ ` and the extension characters [ ] { } \ ^ ~ |. */
const SAFE = /[A-Za-z0-9 !"#%&'()*+,\-./:;<=>?\n]/;

export function fitSms(text: string): string {
  let out = '';
  for (const ch of text.normalize('NFD')) {
    if (/\p{M}/u.test(ch)) continue;
    out += SAFE.test(ch) ? ch : ch === '\r' || ch === '\t' ? ' ' : '?';
  }
  return out.length <= SMS_MAX_CHARS ? out : `${out.slice(0, SMS_MAX_CHARS - 2)}..`;
}
