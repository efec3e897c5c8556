// DOM building and formatting shared by the status page modules. Everything that comes from the
// gateway (device and channel names arrive from MQTT devices) goes in as text nodes: never
// innerHTML, so a name cannot inject markup.

/**
 * Builds an element. attrs: `class`, `testid` (→ data-testid), `text` (→ textContent), `hidden`,
 * `on<event>` handlers (addEventListener; the CSP forbids inline handlers), anything else as an
 * attribute. Children: nodes or strings (as text), null/undefined skipped.
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') el.className = value;
    else if (key === 'testid') el.dataset.testid = value;
    else if (key === 'text') el.textContent = String(value);
    else if (key === 'hidden') el.hidden = true;
    else if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children) {
    if (child === undefined || child === null) continue;
    el.append(typeof child === 'string' ? document.createTextNode(child) : child);
  }
  return el;
}

export function clear(el) {
  while (el.firstChild) el.firstChild.remove();
}

export function setText(el, text) {
  const next = String(text);
  if (el.textContent !== next) el.textContent = next;
}

// Ages are measured on the gateway's clock, not the phone's: a technician's phone is often minutes
// off, and record timestamps are the gateway's. offset = gateway now − local now at the last answer.
let clockOffset = 0;

export function observeGatewayNow(gatewayNowMs) {
  if (Number.isFinite(gatewayNowMs)) clockOffset = gatewayNowMs - Date.now();
}

export function gatewayNow() {
  return Date.now() + clockOffset;
}

export function ageOf(ts) {
  return ts === null || ts === undefined ? null : Math.max(0, gatewayNow() - ts);
}

/** 850 ms → "0.9 s", 75 s → "1 min 15 s", 3 h → "3 h 0 min", 3 d → "3 d 4 h". */
export function fmtDuration(ms) {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  const s = ms / 1000;
  if (s < 10) return `${s.toFixed(1)} s`;
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
  if (s < 10) return `${s.toFixed(1)} s`;
  if (s < 60) return `${Math.floor(s)} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min`;
  if (s < 172_800) return `${Math.floor(s / 3600)} h`;
  return `${Math.floor(s / 86_400)} d`;
}

export function fmtAge(ts) {
  const age = ageOf(ts);
  return age === null ? '—' : `${fmtDuration(age)} ago`;
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
  return `${unit === 0 ? value : value.toFixed(value < 10 ? 1 : 0)} ${UNITS[unit]}`;
}

/** Engineering values: integers as they are, otherwise 5 significant digits, exponent when huge or tiny. */
export function fmtValue(v) {
  if (v === null || v === undefined) return '—';
  if (typeof v !== 'number') return String(v);
  if (!Number.isFinite(v)) return String(v);
  if (Number.isInteger(v) && Math.abs(v) < 1e9) return String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a >= 1e9 || a < 1e-3)) return v.toExponential(3);
  return String(Number(v.toPrecision(5)));
}

export function fmtCount(n) {
  return n === null || n === undefined ? '—' : String(n);
}

/** Local time; the date too when not today. */
export function fmtTime(ts) {
  if (ts === null || ts === undefined) return '—';
  const d = new Date(ts);
  const time = d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });
  return d.toDateString() === new Date().toDateString() ? time : `${d.toISOString().slice(0, 10)} ${time}`;
}

/** Modbus Application Protocol v1.1b3 §7: what a technician needs to read an exception code. */
const EXCEPTIONS = {
  1: 'illegal function',
  2: 'illegal data address',
  3: 'illegal data value',
  4: 'server device failure',
  5: 'acknowledge',
  6: 'server device busy',
  8: 'memory parity error',
  10: 'gateway path unavailable',
  11: 'gateway target failed to respond',
};

export function exceptionName(code) {
  return EXCEPTIONS[code] ?? 'unknown exception';
}
