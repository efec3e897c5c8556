// DOM building shared by the status page modules (the formatting of values is format.js, re-exported
// here). Everything that comes from the gateway (device and channel names arrive from MQTT devices)
// goes in as text nodes: never innerHTML, so a name cannot inject markup.

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

export { fmtBytes, fmtCount, fmtDuration, fmtMeasure, fmtShortDuration, fmtTime, fmtValue } from './format.js';
