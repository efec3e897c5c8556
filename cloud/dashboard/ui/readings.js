// Readings explorer: GET /v1/readings?gateway&device&channel&kind&from&to&limit&cursor →
// { items: RelayRecord[], next: string | null } in record-time order; `next` is the cursor of the
// following page (cloud/http/query.ts, cloud/store/types.ts).
import { api, describeError } from './api.js';
import { drawChart } from './chart.js';
import { el, setChildren, setStatus, table } from './dom.js';
import { fmtInt, fmtTime, fmtValue, localInputMs } from './format.js';
import { proofButton } from './proofs.js';

const CLOCK_UNSYNCED = 1; // protocols/records.ts RECORD_FLAGS.clockUnsynced
const LIMITS = [100, 500, 1000, 5000];

function field(label, control) {
  return el('label', { class: 'field' }, el('span', {}, label), control);
}

/** The record's time as the relay sorts it, and how far to trust it. */
function timeCell(r) {
  if (r.tsCorrected !== null) {
    return el('span', { title: `gateway clock was not synchronized; corrected by the relay (gateway said ${fmtTime(r.ts)})` }, `${fmtTime(r.tsCorrected)} ≈`);
  }
  if ((r.flags & CLOCK_UNSYNCED) !== 0)
    return el('span', { class: 'warn-text', title: 'gateway clock not synchronized and not correctable' }, `${fmtTime(r.ts)} ?`);
  return fmtTime(r.ts);
}

function kindCell(r) {
  if (r.kind !== 'alarm' || r.alarm === undefined) return r.kind;
  const a = r.alarm;
  return el(
    'span',
    { class: a.state === 'raised' ? 'badge alarm' : 'badge' },
    `${a.rule} ${a.level} ${a.state}${a.threshold === null ? '' : ` @ ${fmtValue(a.threshold)}`}`,
  );
}

export function readingsTab(root, ctx) {
  const gateway = el('select', { name: 'gateway', testid: 'filter-gateway' }, el('option', { value: '' }, 'any'));
  const device = el('input', { name: 'device', type: 'text', maxlength: 128, spellcheck: 'false', autocapitalize: 'off', testid: 'filter-device' });
  const channel = el('input', { name: 'channel', type: 'text', maxlength: 128, spellcheck: 'false', autocapitalize: 'off', testid: 'filter-channel' });
  const kind = el(
    'select',
    { name: 'kind', testid: 'filter-kind' },
    el('option', { value: '' }, 'any'),
    el('option', { value: 'reading' }, 'reading'),
    el('option', { value: 'alarm' }, 'alarm'),
  );
  const from = el('input', { name: 'from', type: 'datetime-local', step: 1, testid: 'filter-from' });
  const to = el('input', { name: 'to', type: 'datetime-local', step: 1, testid: 'filter-to' });
  const limit = el(
    'select',
    { name: 'limit', testid: 'filter-limit' },
    LIMITS.map((n) => el('option', { value: n }, String(n))),
  );
  const form = el(
    'form',
    { class: 'filters', testid: 'readings-filters' },
    field('Gateway', gateway),
    field('Device', device),
    field('Channel', channel),
    field('Kind', kind),
    field('From', from),
    field('To', to),
    field('Page size', limit),
    el('button', { type: 'submit', testid: 'readings-query' }, 'Query'),
  );
  const status = el('p', { class: 'status', role: 'status' });
  const chart = el('div', { class: 'chart', testid: 'readings-chart', hidden: true });
  const prev = el('button', { type: 'button', class: 'secondary', testid: 'readings-prev', disabled: true }, '← Previous');
  const next = el('button', { type: 'button', class: 'secondary', testid: 'readings-next', disabled: true }, 'Next →');
  const pageLabel = el('span', { class: 'hint' });
  const body = el('div');
  root.append(el('div', { class: 'toolbar' }, el('h2', {}, 'Readings')), form, status, chart, el('div', { class: 'pager' }, prev, pageLabel, next), body);

  // cursors[i] fetched page i (null: the first); the query is fixed when Query is pressed.
  let query = {};
  let cursors = [null];
  let nextCursor = null;
  let gatewaysLoaded = false;

  async function loadGateways() {
    try {
      const { gateways } = await api('v1/gateways');
      const selected = gateway.value;
      setChildren(
        gateway,
        el('option', { value: '' }, 'any'),
        gateways.map((g) => el('option', { value: g.id }, g.id)),
      );
      gateway.value = selected;
      gatewaysLoaded = true;
    } catch (err) {
      setStatus(status, describeError(err), 'error');
    }
  }

  function render(items) {
    const columns = [
      { label: 'Time', cell: timeCell },
      { label: 'Gateway', cell: (r) => r.gateway },
      { label: 'Seq', class: 'num', cell: (r) => String(r.seq) },
      { label: 'Device', cell: (r) => r.device },
      { label: 'Channel', cell: (r) => r.channel },
      { label: 'Value', class: 'num', cell: (r) => fmtValue(r.value) },
      { label: 'Unit', cell: (r) => r.unit },
      {
        label: 'Quality',
        cell: (r) => (r.quality === 'good' ? 'good' : el('span', { class: 'warn-text' }, r.exception === null ? r.quality : `${r.quality} ${r.exception}`)),
      },
      { label: 'Kind', cell: kindCell },
      { label: 'Received', cell: (r) => fmtTime(r.receivedAt) },
    ];
    if (ctx.features.anchors) columns.push({ label: 'Proof', cell: (r) => proofButton(r.gateway, r.seq, status) });
    setChildren(
      body,
      items.length === 0
        ? el('p', { class: 'hint' }, 'No records match.')
        : table(columns, items, (r) => ({ testid: `reading-row-${r.gateway}-${r.seq}` }), { testid: 'readings-table' }),
    );
  }

  async function fetchPage(index) {
    setStatus(status, 'Loading…');
    try {
      const page = await api('v1/readings', { ...query, cursor: cursors[index] ?? undefined });
      cursors = cursors.slice(0, index + 1);
      nextCursor = page.next;
      render(page.items);
      const channelName = query.channel;
      chart.hidden = channelName === undefined;
      if (channelName !== undefined) drawChart(chart, page.items, channelName);
      prev.disabled = index === 0;
      next.disabled = nextCursor === null;
      pageLabel.textContent = `page ${index + 1}`;
      setStatus(status, `${fmtInt(page.items.length)} record${page.items.length === 1 ? '' : 's'}${nextCursor === null ? '' : '; more on the next page'}.`);
    } catch (err) {
      setStatus(status, describeError(err), 'error');
    }
  }

  function readForm() {
    const q = { limit: limit.value };
    for (const [key, control] of [
      ['gateway', gateway],
      ['device', device],
      ['channel', channel],
      ['kind', kind],
    ]) {
      const v = control.value.trim();
      if (v !== '') q[key] = v;
    }
    const fromMs = localInputMs(from.value);
    const toMs = localInputMs(to.value);
    if (fromMs !== undefined) q.from = fromMs;
    if (toMs !== undefined) q.to = toMs;
    return q;
  }

  function run() {
    query = readForm();
    if (query.from !== undefined && query.to !== undefined && query.from >= query.to) {
      setStatus(status, '"From" must be before "To".', 'error');
      return;
    }
    cursors = [null];
    void fetchPage(0);
  }

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    run();
  });
  prev.addEventListener('click', () => void fetchPage(Math.max(0, cursors.length - 2)));
  next.addEventListener('click', () => {
    if (nextCursor === null) return;
    cursors = [...cursors, nextCursor];
    void fetchPage(cursors.length - 1);
  });

  return {
    async show() {
      if (!gatewaysLoaded) await loadGateways();
    },
    /** From another tab: set the filters and run the query. */
    async preset(filters) {
      await loadGateways();
      gateway.value = filters.gateway ?? '';
      device.value = filters.device ?? '';
      channel.value = filters.channel ?? '';
      run();
    },
    autoRefresh: false,
  };
}
