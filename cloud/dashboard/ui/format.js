// How values are written for people. Times are the browser's local time; the footer names its
// UTC offset.

const DASH = '—';
const pad = (n, width = 2) => String(n).padStart(width, '0');

/** `2025-03-01 09:00:05` local time; null → —. */
export function fmtTime(ms) {
  if (ms === null || ms === undefined) return DASH;
  const d = new Date(ms);
  if (Number.isNaN(d.getTime())) return DASH;
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** An ISO 8601 string from the DGA API, in local time. */
export const fmtIso = (iso) => (iso === null || iso === undefined ? DASH : fmtTime(Date.parse(iso)));

/** `2025-06-16T06:00:00-04:00` (a DGA slot, fixed UTC−4) → `2025-06-16 06:00`. */
export function fmtSlot(iso) {
  if (iso === null || iso === undefined) return DASH;
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})(?::00)?-04:00$/.exec(iso);
  return m === null ? iso : `${m[1]} ${m[2]}`;
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

/** Relay clock − gateway clock: positive means the gateway is behind. */
export function fmtOffset(ms) {
  if (ms === null || ms === undefined) return DASH;
  const s = ms / 1000;
  const text = `${s >= 0 ? '+' : '−'}${Math.abs(s).toFixed(Math.abs(s) < 10 ? 2 : 0)} s`;
  if (Math.abs(ms) < 1000) return text;
  return `${text} (gateway ${ms > 0 ? 'behind' : 'ahead'})`;
}

export const fmtInt = (n) => (n === null || n === undefined ? DASH : Number(n).toLocaleString('en-US'));

export function fmtValue(v) {
  if (v === null || v === undefined) return DASH;
  return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(8)));
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
  return `${negative ? '-' : ''}${v / base}${frac === '' ? '' : `.${frac}`} ${unit}`;
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
