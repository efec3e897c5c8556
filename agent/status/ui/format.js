// How values are written for people, in the page's language (setFormatLocale, called once by
// i18n.js): es-CL writes `12,5` and `1.234,5` (Chilean convention), en writes `12.5` and `1,234.5`.
// Only what a person reads goes through here: what the page sends back (an ack, an inspector read)
// and what the APIs answer are never formatted.

let locale = 'en';
const cache = new Map();

export function setFormatLocale(tag) {
  locale = tag;
  cache.clear();
}

export const formatLocale = () => locale;

/** A cached Intl.NumberFormat of the locale, grouping always (es-CL: `1.234`, not `1234`). */
function nf(options) {
  const key = JSON.stringify(options);
  let f = cache.get(key);
  if (f === undefined) {
    f = new Intl.NumberFormat(locale, { useGrouping: 'always', ...options });
    cache.set(key, f);
  }
  return f;
}

/** `n` with exactly `digits` decimals: fixed(12.345, 1) → `12,3` in es-CL. */
export const fixed = (n, digits) => nf({ minimumFractionDigits: digits, maximumFractionDigits: digits }).format(n);

/** 850 ms → "0.9 s", 75 s → "1 min 15 s", 3 h → "3 h 0 min", 3 d → "3 d 4 h". */
export function fmtDuration(ms) {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  const s = ms / 1000;
  if (s < 10) return `${fixed(s, 1)} s`;
  if (s < 60) return `${Math.round(s)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${Math.floor(s % 60)} s`;
  const hrs = Math.floor(m / 60);
  if (hrs < 48) return `${hrs} h ${m % 60} min`;
  return `${Math.floor(hrs / 24)} d ${hrs % 24} h`;
}

/** One unit only, for tight spots: "0.4 s", "33 s", "10 min", "5 h", "3 d". */
export function fmtShortDuration(ms) {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  const s = ms / 1000;
  if (s < 10) return `${fixed(s, 1)} s`;
  if (s < 60) return `${Math.floor(s)} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min`;
  if (s < 172_800) return `${Math.floor(s / 3600)} h`;
  return `${Math.floor(s / 86_400)} d`;
}

const UNITS = ['B', 'KB', 'MB', 'GB', 'TB'];

export function fmtBytes(n) {
  if (n === null || n === undefined || !Number.isFinite(n)) return '—';
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? fixed(value, 0) : fixed(value, value < 10 ? 1 : 0)} ${UNITS[unit]}`;
}

/** Engineering values: 5 significant digits (integers below 10⁹ whole), exponent when huge or tiny. */
export function fmtValue(v) {
  if (v === null || v === undefined) return '—';
  if (typeof v !== 'number') return String(v);
  if (!Number.isFinite(v)) return String(v);
  if (Number.isInteger(v) && Math.abs(v) < 1e9) return nf({ maximumFractionDigits: 0 }).format(v);
  const a = Math.abs(v);
  if (a !== 0 && (a >= 1e9 || a < 1e-3)) return nf({ notation: 'scientific', maximumFractionDigits: 3, minimumFractionDigits: 3 }).format(v);
  return nf({ maximumSignificantDigits: 5 }).format(v);
}

/** A value and its unit with a space: `12,5 L/s`; no unit → the value alone. */
export function fmtMeasure(v, unit) {
  const value = fmtValue(v);
  return unit === null || unit === undefined || unit === '' || value === '—' ? value : `${value} ${unit}`;
}

export function fmtCount(n) {
  return n === null || n === undefined ? '—' : nf({ maximumFractionDigits: 0 }).format(n);
}

/** A percentage with `digits` decimals and a space: `97,5 %`. */
export const fmtPercent = (n, digits = 0) => `${fixed(n, digits)} %`;

/** Local time `HH:mm:ss`; the date too when not today: `07-12-2026 21:56:05` (es-CL), `2026-12-07 21:56:05` (en). */
export function fmtTime(ts, now = Date.now()) {
  if (ts === null || ts === undefined) return '—';
  const d = new Date(ts);
  if (Number.isNaN(d.getTime())) return '—';
  const p = Object.fromEntries(
    new Intl.DateTimeFormat(locale, {
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
    })
      .formatToParts(d)
      .map((part) => [part.type, part.value]),
  );
  const time = `${p.hour}:${p.minute}:${p.second}`;
  if (d.toDateString() === new Date(now).toDateString()) return time;
  return `${locale.startsWith('es') ? `${p.day}-${p.month}-${p.year}` : `${p.year}-${p.month}-${p.day}`} ${time}`;
}
