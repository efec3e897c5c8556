// How values are written for people, in the page's language (setFormatLocale, called once by
// i18n.js): es-CL writes `1.234,5` and `07-12-2026 21:56:05` (Chilean convention), en writes
// `1,234.5` and `2026-12-07 21:56:05`. Times are the browser's local time; the footer names its
// UTC offset. Only what a person reads goes through here: API parameters, CSV files and DGA
// payloads never do (the relay sends and receives those as they are).

const DASH = '—';
const pad = (n, width = 2) => String(n).padStart(width, '0');

let locale = 'en';
let numbers = new Map();
let dates = null;

/** The BCP 47 tag numbers and dates are written in (the page's language). */
export function setFormatLocale(tag) {
  locale = tag;
  numbers = new Map();
  dates = null;
}

export const formatLocale = () => locale;

/** A cached Intl.NumberFormat of the locale; grouping always (es-CL: `1.234`, not `1234`). */
function numberFormat(maximumSignificantDigits) {
  const key = maximumSignificantDigits ?? 0;
  let f = numbers.get(key);
  if (f === undefined) {
    f = new Intl.NumberFormat(locale, {
      useGrouping: 'always',
      ...(maximumSignificantDigits === undefined ? { maximumFractionDigits: 20 } : { maximumSignificantDigits }),
    });
    numbers.set(key, f);
  }
  return f;
}

/** A number with `digits` decimals at most (`12,5`); null → —. */
export function fmtNumber(n, maxFractionDigits = 2) {
  if (n === null || n === undefined || !Number.isFinite(Number(n))) return DASH;
  return new Intl.NumberFormat(locale, { useGrouping: 'always', maximumFractionDigits: maxFractionDigits }).format(Number(n));
}

/** `2025-03-01 09:00:05` (en) or `01-03-2025 09:00:05` (es-CL), local time; null → —. */
export function fmtTime(ms, { seconds = true } = {}) {
  if (ms === null || ms === undefined) return DASH;
  const d = new Date(ms);
  if (Number.isNaN(d.getTime())) return DASH;
  dates ??= new Intl.DateTimeFormat(locale, {
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
  });
  const p = Object.fromEntries(dates.formatToParts(d).map((part) => [part.type, part.value]));
  const day = locale.startsWith('es') ? `${p.day}-${p.month}-${p.year}` : `${p.year}-${p.month}-${p.day}`;
  return `${day} ${p.hour}:${p.minute}${seconds ? `:${p.second}` : ''}`;
}

/** An ISO 8601 string from the DGA API, in local time. */
export const fmtIso = (iso) => (iso === null || iso === undefined ? DASH : fmtTime(Date.parse(iso)));

/** `2025-06-16T06:00:00-04:00` (a DGA slot, fixed UTC−4) → `2025-06-16 06:00` (en), `16-06-2025 06:00` (es-CL). */
export function fmtSlot(iso) {
  if (iso === null || iso === undefined) return DASH;
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}:\d{2})(?::00)?-04:00$/.exec(iso);
  if (m === null) return iso;
  return locale.startsWith('es') ? `${m[3]}-${m[2]}-${m[1]} ${m[4]}` : `${m[1]}-${m[2]}-${m[3]} ${m[4]}`;
}

/** A period label of the volumes API (`2026-01-30`, `2026-01`, `2026`) as people write it: `30-01-2026`, `01-2026` in es-CL. */
export function fmtPeriod(label) {
  if (!locale.startsWith('es') || typeof label !== 'string') return label;
  const m = /^(\d{4})-(\d{2})(?:-(\d{2}))?$/.exec(label);
  if (m === null) return label;
  return m[3] === undefined ? `${m[2]}-${m[1]}` : `${m[3]}-${m[2]}-${m[1]}`;
}

/** `45 s`, `12 min`, `3 h 5 min`, `2 d 4 h`. */
export function fmtDuration(ms) {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const min = Math.floor(s / 60);
  if (min < 60) return `${min} min`;
  const h = Math.floor(min / 60);
  if (h < 48) return min % 60 === 0 ? `${h} h` : `${h} h ${min % 60} min`;
  const d = Math.floor(h / 24);
  return h % 24 === 0 ? `${d} d` : `${d} d ${h % 24} h`;
}

/** Relay clock − gateway clock in seconds, signed: `+0,25 s`, `−75 s`; null → —. */
export function fmtOffset(ms) {
  if (ms === null || ms === undefined) return DASH;
  const s = ms / 1000;
  const abs = Math.abs(s);
  const digits = abs < 10 ? 2 : 0;
  const text = new Intl.NumberFormat(locale, { useGrouping: 'always', minimumFractionDigits: digits, maximumFractionDigits: digits }).format(abs);
  return `${s >= 0 ? '+' : '−'}${text} s`;
}

export const fmtInt = (n) => (n === null || n === undefined ? DASH : numberFormat().format(Number(n)));

/** A measured value: 8 significant digits at most, the locale's separators. */
export function fmtValue(v) {
  if (v === null || v === undefined) return DASH;
  return numberFormat(8).format(Number(v));
}

/** A value and its unit with a space: `12,5 L/s`; no unit → the value alone. */
export function fmtMeasure(v, unit) {
  const value = fmtValue(v);
  return unit === null || unit === undefined || unit === '' || value === DASH ? value : `${value} ${unit}`;
}

/** `0x1234abcd…9f8e7d`; the whole value goes in a title. */
export function short(hex, head = 10, tail = 6) {
  if (hex === null || hex === undefined) return DASH;
  return hex.length <= head + tail + 1 ? hex : `${hex.slice(0, head)}…${hex.slice(-tail)}`;
}

/** A decimal integer string (wei) in `decimals` units: 18 → ETH, 9 → gwei. Exact (BigInt). */
export function fmtUnits(value, decimals, unit) {
  if (value === null || value === undefined) return DASH;
  let v;
  try {
    v = BigInt(value);
  } catch {
    return String(value);
  }
  const negative = v < 0n;
  if (negative) v = -v;
  const base = 10n ** BigInt(decimals);
  const frac = (v % base).toString().padStart(decimals, '0').replace(/0+$/, '');
  // The integer part through Intl (exact for BigInt), the fraction appended with the locale's mark.
  const whole = new Intl.NumberFormat(locale, { useGrouping: 'always' }).format(v / base);
  const mark = new Intl.NumberFormat(locale).formatToParts(0.5).find((p) => p.type === 'decimal')?.value ?? '.';
  return `${negative ? '-' : ''}${whole}${frac === '' ? '' : `${mark}${frac}`} ${unit}`;
}

/** Labels of a uPlot time axis: `dd-mm HH:mm` (es-CL) or `mm-dd HH:mm` (en), the time alone within a day. */
export function axisTimeLabels(splits, spanSeconds) {
  return splits.map((s) => {
    const text = fmtTime(s * 1000, { seconds: spanSeconds < 600 });
    if (spanSeconds < 86_400) return text.slice(11);
    return locale.startsWith('es') ? `${text.slice(0, 5)} ${text.slice(11, 16)}` : `${text.slice(5, 10)} ${text.slice(11, 16)}`;
  });
}

/** `UTC−03:00` for the browser's zone now. */
export function utcOffsetLabel(date = new Date()) {
  const minutes = -date.getTimezoneOffset();
  const sign = minutes >= 0 ? '+' : '−';
  const abs = Math.abs(minutes);
  return `UTC${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

/** A datetime-local input's value (browser local time) → epoch ms, or undefined when empty. */
export function localInputMs(value) {
  if (value === '') return undefined;
  const ms = new Date(value).getTime();
  return Number.isNaN(ms) ? undefined : ms;
}
