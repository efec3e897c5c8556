/**
 * Fitting a message into one SMS in the GSM 7-bit default alphabet (3GPP TS 23.038 §6.2.1): the
 * basic character set costs one septet a character, the extension table (§6.2.1.1: `€ [ ] { } ^ ~ \ |`)
 * two (ESC + the character). One SMS carries 160 septets (3GPP TS 23.040 §9.2.3.16 with the
 * 140-octet user data). Anything outside the alphabet would switch the whole message to UCS-2 and
 * 70 characters, so it is transliterated instead: Spanish á í ó ú (and capitals) lose their accent,
 * ¿ ¡ ñ Ñ é É ü Ü stay (they are GSM-7), typographic punctuation becomes ASCII, the rest `?`.
 */

/** One SMS, in septets. */
export const SMS_SEPTETS = 160;
const ELLIPSIS = '...';

/** 3GPP TS 23.038 §6.2.1, the basic character set (LF and CR included; ESC 0x1B left out: it is not text). */
const BASIC = new Set('@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà');
/** §6.2.1.1, the extension table (form feed left out: it is turned into a space). */
const EXTENSION = new Set('€[]{}^~\\|');

/** Close GSM-7 forms of common characters outside the alphabet. */
const TRANSLITERATION: Readonly<Record<string, string>> = {
  á: 'a',
  í: 'i',
  ó: 'o',
  ú: 'u',
  Á: 'A',
  Í: 'I',
  Ó: 'O',
  Ú: 'U',
  À: 'A',
  È: 'E',
  Ì: 'I',
  Ò: 'O',
  Ù: 'U',
  â: 'a',
  ê: 'e',
  î: 'i',
  ô: 'o',
  û: 'u',
  ã: 'a',
  õ: 'o',
  ë: 'e',
  ï: 'i',
  ç: 'c',
  Ã: 'A',
  Õ: 'O',
  Â: 'A',
  Ê: 'E',
  Î: 'I',
  Ô: 'O',
  Û: 'U',
  Ë: 'E',
  Ï: 'I',
  º: 'o',
  ª: 'a',
  '°': 'o',
  '·': '.',
  '\t': ' ',
  '\f': ' ',
  '\u00a0': ' ',
  '\u2013': '-',
  '\u2014': '-',
  '\u2212': '-',
  '\u2018': "'",
  '\u2019': "'",
  '\u201a': "'",
  '\u201c': '"',
  '\u201d': '"',
  '\u201e': '"',
  '\u00ab': '"',
  '\u00bb': '"',
  '\u2026': '...',
  '\u2022': '-',
  '\u00b2': '2',
  '\u00b3': '3',
  '\u00b5': 'u',
  '\u00d7': 'x',
  '\u00f7': '/',
  '`': "'",
};

/** Septets a GSM-7 character costs: 1, 2 (extension table) or undefined (outside the alphabet). */
function cost(ch: string): 1 | 2 | undefined {
  if (BASIC.has(ch)) return 1;
  if (EXTENSION.has(ch)) return 2;
  return undefined;
}

function transliterateChar(ch: string): string {
  if (cost(ch) !== undefined) return ch;
  const mapped = TRANSLITERATION[ch];
  if (mapped !== undefined) return mapped;
  // Other accented Latin letters: the base letter when it is GSM-7 (ā → a, Ş → S).
  const base = ch.normalize('NFD').replace(/\p{M}/gu, '');
  if (base !== '' && [...base].every((c) => cost(c) !== undefined)) return base;
  return '?';
}

/** The text with every character outside GSM-7 replaced by a close GSM-7 form (or `?`). */
export function toGsm7(text: string): string {
  let out = '';
  for (const ch of text) out += transliterateChar(ch);
  return out;
}

/** True when every character of `text` is in the GSM-7 basic set or its extension table. */
export function isGsm7(text: string): boolean {
  for (const ch of text) if (cost(ch) === undefined) return false;
  return true;
}

/** Septets `text` costs once transliterated by toGsm7 (extension characters count 2). */
export function septetCount(text: string): number {
  let n = 0;
  for (const ch of toGsm7(text)) n += cost(ch) ?? 1;
  return n;
}

/**
 * The text of one SMS: transliterated to GSM-7, runs of spaces collapsed, trimmed, and when longer
 * than `maxSeptets` cut at a character boundary (never between ESC and its extension character)
 * and ended with `...`, the whole within `maxSeptets`.
 */
export function fitSms(text: string, maxSeptets: number = SMS_SEPTETS): string {
  const gsm = toGsm7(text)
    .replace(/ {2,}/g, ' ')
    .replace(/ *\n[ \n]*/g, '\n')
    .trim();
  if (septetCount(gsm) <= maxSeptets) return gsm;
  const budget = maxSeptets - ELLIPSIS.length;
  let out = '';
  let used = 0;
  for (const ch of gsm) {
    const c = cost(ch) ?? 1;
    if (used + c > budget) break;
    out += ch;
    used += c;
  }
  return `${out.trimEnd()}${ELLIPSIS}`;
}

/** One SMS about a notification: its title, then its text, fitted by fitSms. */
export function smsBody(title: string, text: string, maxSeptets: number = SMS_SEPTETS): string {
  return fitSms(text.trim() === '' ? title : `${title}\n${text}`, maxSeptets);
}
