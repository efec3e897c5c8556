// Register inspector: one read of a register range, decoded every plausible way side by side
// (float word order is the first support question on every gateway).
import { ApiError, api, Unauthenticated } from './api.js';
import { clear, h, setText } from './dom.js';
import { formatLocale } from './format.js';
import { t } from './i18n.js';
import { exceptionName } from './labels.js';

const ORDERS = ['ABCD', 'CDAB', 'BADC', 'DCBA'];
const WIDE = [
  ['float32', 'f32', 'float32'],
  ['int32', 'i32', 'int32'],
  ['uint32', 'u32', 'uint32'],
];

let form = null;
let deviceSelect = null;
let results = null;
let errorEl = null;
let onAuthLost = () => {};

export function mountInspector(root, options) {
  form = root.querySelector('[data-testid="inspector-form"]');
  deviceSelect = root.querySelector('[data-testid="inspector-device"]');
  results = root.querySelector('[data-testid="inspector-results"]');
  errorEl = root.querySelector('[data-testid="inspector-error"]');
  onAuthLost = options.onAuthLost;
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void inspect();
  });
}

/** Keeps the device list in step with the cards, keeping the current choice. */
export function setInspectorDevices(ids) {
  const current = deviceSelect.value;
  const existing = [...deviceSelect.options].map((o) => o.value);
  if (existing.length === ids.length && existing.every((id, i) => id === ids[i])) return;
  clear(deviceSelect);
  for (const id of ids) deviceSelect.append(h('option', { value: id, text: id }));
  if (ids.includes(current)) deviceSelect.value = current;
  form.querySelector('[data-testid="inspector-submit"]').disabled = ids.length === 0;
}

async function inspect() {
  const data = new FormData(form);
  const body = {
    device: String(data.get('device') ?? ''),
    table: String(data.get('table') ?? 'holding'),
    address: Number(data.get('address')),
    count: Number(data.get('count')),
  };
  const submit = form.querySelector('[data-testid="inspector-submit"]');
  submit.disabled = true;
  clear(errorEl);
  errorEl.hidden = true;
  setText(submit, t('inspector.reading'));
  try {
    renderResult(await api('/api/inspect', body));
  } catch (err) {
    if (err instanceof Unauthenticated) onAuthLost(err);
    else showError(err);
  } finally {
    submit.disabled = false;
    setText(submit, t('inspector.read'));
  }
}

function showError(err) {
  clear(results);
  const body = err instanceof ApiError ? err.body : {};
  const code = body.code ?? body.error ?? '';
  const exception = body.exception ?? body.details?.exception ?? null;
  let text;
  if (code === 'ATALAYA_MODBUS_TIMEOUT') text = t('inspector.timeout');
  else if (code === 'ATALAYA_MODBUS_EXCEPTION' || exception !== null)
    text = exception === null ? t('inspector.exception', { code: '?' }) : t('inspector.exceptionNamed', { code: exception, name: exceptionName(exception) });
  else if (code === 'ATALAYA_MODBUS_DISCONNECTED') text = t('inspector.disconnected');
  else if (code === 'ATALAYA_MODBUS_BAD_FRAME') text = t('inspector.badFrame');
  else text = err.message;
  errorEl.hidden = false;
  errorEl.dataset.code = String(code);
  if (exception !== null) errorEl.dataset.exception = String(exception);
  else delete errorEl.dataset.exception;
  clear(errorEl);
  errorEl.append(h('strong', { text }));
  const detail = [code, text === err.message ? '' : err.message].filter(Boolean).join(': ');
  if (detail) errorEl.append(h('span', { class: 'error-detail', translate: 'no', text: detail }));
}

/** Register values as decoded, in the page's decimal mark; integers ungrouped (a register is not a quantity). */
function fmt(v) {
  if (v === null || v === undefined) return '—';
  if (Number.isSafeInteger(v)) return String(v);
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  const text = a !== 0 && (a >= 1e7 || a < 1e-4) ? v.toExponential(5) : String(Number(v.toPrecision(7)));
  return formatLocale().startsWith('es') ? text.replace('.', ',') : text;
}

function renderResult(answer) {
  clear(results);
  const head1 = h(
    'tr',
    {},
    h('th', { rowspan: '2', class: 'sticky', text: t('inspector.col.addr') }),
    h('th', { rowspan: '2', text: t('inspector.col.hex') }),
    // Type names and word orders are the same in every language.
    h('th', { rowspan: '2', translate: 'no', text: 'uint16' }),
    h('th', { rowspan: '2', translate: 'no', text: 'int16' }),
  );
  const head2 = h('tr');
  for (const [, , label] of WIDE) {
    head1.append(h('th', { colspan: '4', class: 'group', translate: 'no', text: label }));
    for (const order of ORDERS) head2.append(h('th', { class: 'order', translate: 'no', text: order }));
  }
  const tbody = h('tbody');
  for (const row of answer.rows) {
    const a = row.address;
    const tr = h(
      'tr',
      { testid: `inspector-row-${a}` },
      h('th', { class: 'sticky', scope: 'row', testid: `addr-${a}`, text: String(a) }),
      h('td', { class: 'mono', testid: `hex-${a}`, text: row.hex }),
      h('td', { class: 'num', testid: `u16-${a}`, text: fmt(row.uint16) }),
      h('td', { class: 'num', testid: `i16-${a}`, text: fmt(row.int16) }),
    );
    for (const [field, prefix] of WIDE) {
      for (const order of ORDERS) {
        const value = row[field] ? row[field][order] : null;
        tr.append(h('td', { class: `num${order === 'ABCD' ? ' group-start' : ''}`, testid: `${prefix}-${order}-${a}`, text: fmt(value) }));
      }
    }
    tbody.append(tr);
  }
  const caption = h('caption', {
    text: t('inspector.caption', {
      device: answer.device,
      table: answer.table === 'input' ? t('inspector.input') : t('inspector.holding'),
      from: answer.address,
      to: answer.address + answer.count - 1,
    }),
  });
  results.append(h('div', { class: 'table-scroll' }, h('table', { class: 'registers' }, caption, h('thead', {}, head1, head2), tbody)));
}
