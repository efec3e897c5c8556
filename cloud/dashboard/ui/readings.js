// Readings explorer: GET /v1/readings?gateway&device&channel&kind&from&to&limit&cursor →
// { items: RelayRecord[], next: string | null } in record-time order; `next` is the cursor of the
// following page (cloud/http/query.ts, cloud/store/types.ts).
import { api, describeError } from './api.js';
import { drawChart } from './chart.js';
import { el, setChildren, setStatus, table } from './dom.js';
import { fmtInt, fmtTime, fmtValue, localInputMs } from './format.js';
import { t } from './i18n.js';
import { proofButton } from './proofs.js';

const CLOCK_UNSYNCED = 1; // protocols/records.ts RECORD_FLAGS.clockUnsynced
const LIMITS = [100, 500, 1000, 5000];

function field(label, control) {
  return el('label', { class: 'field' }, el('span', {}, label), control);
}

/** The record's time as the relay sorts it, and how far to trust it. */
function timeCell(r) {
  if (r.tsCorrected !== null) {
    return el('span', { title: t('readings.corrected', { time: fmtTime(r.ts) }) }, `${fmtTime(r.tsCorrected)} ≈`);
  }
  if ((r.flags & CLOCK_UNSYNCED) !== 0) return el('span', { class: 'warn-text', title: t('readings.uncorrectable') }, `${fmtTime(r.ts)} ?`);
  return fmtTime(r.ts);
}

/** Labels of the record API's wire values (the values themselves stay as they are). */
const kindLabel = (kind) => ({ reading: t('kind.reading'), alarm: t('kind.alarm') })[kind] ?? kind;
const levelLabel = (level) => ({ alarm: t('alarm.level.alarm'), warning: t('alarm.level.warning') })[level] ?? level;
const alarmStateLabel = (state) =>
  ({ raised: t('alarm.state.raised'), cleared: t('alarm.state.cleared'), acknowledged: t('alarm.state.acknowledged') })[state] ?? state;
export const qualityLabel = (quality) =>
  ({
    good: t('quality.good'),
    out_of_range: t('quality.out_of_range'),
    sensor_fault: t('quality.sensor_fault'),
    exception: t('quality.exception'),
    comm_error: t('quality.comm_error'),
  })[quality] ?? quality;

function kindCell(r) {
  if (r.kind !== 'alarm' || r.alarm === undefined) return kindLabel(r.kind);
  const a = r.alarm;
  return el(
    'span',
    { class: a.state === 'raised' ? 'badge alarm' : 'badge' },
    `${a.rule} ${levelLabel(a.level)} ${alarmStateLabel(a.state)}${a.threshold === null ? '' : ` @ ${fmtValue(a.threshold)}`}`,
  );
}

export function readingsTab(root, ctx) {
  const gateway = el('select', { name: 'gateway', testid: 'filter-gateway' }, el('option', { value: '' }, t('readings.any')));
  const device = el('input', { name: 'device', type: 'text', maxlength: 128, spellcheck: 'false', autocapitalize: 'off', testid: 'filter-device' });
  const channel = el('input', { name: 'channel', type: 'text', maxlength: 128, spellcheck: 'false', autocapitalize: 'off', testid: 'filter-channel' });
  const kind = el(
    'select',
    { name: 'kind', testid: 'filter-kind' },
    el('option', { value: '' }, t('readings.any')),
    el('option', { value: 'reading' }, kindLabel('reading')),
    el('option', { value: 'alarm' }, kindLabel('alarm')),
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
    field(t('readings.filter.gateway'), gateway),
    field(t('readings.filter.device'), device),
    field(t('readings.filter.channel'), channel),
    field(t('readings.filter.kind'), kind),
    field(t('readings.filter.from'), from),
    field(t('readings.filter.to'), to),
    field(t('readings.filter.limit'), limit),
    el('button', { type: 'submit', testid: 'readings-query' }, t('readings.query')),
  );
  const status = el('p', { class: 'status', role: 'status' });
  const chart = el('div', { class: 'chart', testid: 'readings-chart', hidden: true });
  const prev = el('button', { type: 'button', class: 'secondary', testid: 'readings-prev', disabled: true }, t('readings.previous'));
  const next = el('button', { type: 'button', class: 'secondary', testid: 'readings-next', disabled: true }, t('readings.next'));
  const pageLabel = el('span', { class: 'hint' });
  const body = el('div');
  root.append(
    el('div', { class: 'toolbar' }, el('h2', {}, t('readings.heading'))),
    form,
    status,
    chart,
    el('div', { class: 'pager' }, prev, pageLabel, next),
    body,
  );

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
        el('option', { value: '' }, t('readings.any')),
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
      { key: 'time', label: t('readings.col.time'), cell: timeCell },
      { key: 'gateway', label: t('readings.col.gateway'), cell: (r) => r.gateway },
      { key: 'seq', label: t('readings.col.seq'), class: 'num', cell: (r) => String(r.seq) },
      { key: 'device', label: t('readings.col.device'), cell: (r) => r.device },
      { key: 'channel', label: t('readings.col.channel'), cell: (r) => r.channel },
      { key: 'value', label: t('readings.col.value'), class: 'num', cell: (r) => fmtValue(r.value) },
      { key: 'unit', label: t('readings.col.unit'), cell: (r) => r.unit },
      {
        key: 'quality',
        label: t('readings.col.quality'),
        cell: (r) =>
          r.quality === 'good'
            ? qualityLabel('good')
            : el('span', { class: 'warn-text' }, r.exception === null ? qualityLabel(r.quality) : `${qualityLabel(r.quality)} ${r.exception}`),
      },
      { key: 'kind', label: t('readings.col.kind'), cell: kindCell },
      { key: 'received', label: t('readings.col.received'), cell: (r) => fmtTime(r.receivedAt) },
    ];
    if (ctx.features.anchors) columns.push({ key: 'proof', label: t('readings.col.proof'), cell: (r) => proofButton(r.gateway, r.seq, status) });
    setChildren(
      body,
      items.length === 0
        ? el('p', { class: 'hint' }, t('readings.noMatch'))
        : table(columns, items, (r) => ({ testid: `reading-row-${r.gateway}-${r.seq}` }), { testid: 'readings-table' }),
    );
  }

  async function fetchPage(index) {
    setStatus(status, t('common.loading'));
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
      pageLabel.textContent = t('readings.page', { page: index + 1 });
      const count = fmtInt(page.items.length);
      setStatus(status, nextCursor === null ? t('readings.count', { count }) : t('readings.countMore', { count }));
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
      setStatus(status, t('readings.fromBeforeTo'), 'error');
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
