// Extracted volumes of one obra (GET /v1/dga/<obra>/volumes, cloud/dga/volumes.ts): a uPlot bar
// chart and a table per day, month or year on DGA's fixed UTC−4 calendar, the share of the annual
// water right, and downloads of the same as CSV (…/volumes.csv) and of the inspection evidence
// pack of the period (…/evidence.zip, checked with `atalaya verify pack.zip`).
import { describeError, request } from './api.js';
import { el, setChildren, setStatus, table } from './dom.js';
import { save } from './proofs.js';

const HEIGHT = 220;
const DAY_MS = 86_400_000;

/** `YYYY-MM-DD` of a date input, as the start of that day on DGA's UTC−4 clock (ISO 8601). */
const dgaDay = (date) => `${date}T00:00:00-04:00`;
/** Today on the UTC−4 clock, `YYYY-MM-DD`. */
const dgaToday = (offsetDays = 0) => new Date(Date.now() - 4 * 3_600_000 + offsetDays * DAY_MS).toISOString().slice(0, 10);

let plot = null;

function drawBars(container, periods, annualM3) {
  plot?.destroy();
  plot = null;
  const uPlot = globalThis.uPlot;
  if (typeof uPlot !== 'function') {
    setChildren(container, el('p', { class: 'status error' }, 'The chart library did not load.'));
    return;
  }
  const xs = periods.map((p) => Date.parse(p.startIso) / 1000);
  const ys = periods.map((p) => p.volumeM3);
  const area = el('div');
  setChildren(container, area);
  const bars = uPlot.paths?.bars?.({ size: [0.8, 64] });
  plot = new uPlot(
    {
      width: Math.max(280, container.clientWidth - 8),
      height: HEIGHT,
      scales: { x: { time: true } },
      series: [
        {},
        {
          label: `m³${annualM3 === null ? '' : ` (annual right ${annualM3} m³)`}`,
          stroke: '#1f77b4',
          fill: 'rgba(31,119,180,0.35)',
          width: 1,
          ...(bars === undefined ? {} : { paths: bars, points: { show: false } }),
        },
      ],
      axes: [{}, { label: 'm³', size: 64 }],
    },
    [xs, ys],
    area,
  );
}

export function volumesView(obra) {
  const from = el('input', { type: 'date', testid: 'volumes-from', value: dgaToday(-30), 'aria-label': 'From (UTC−4)' });
  const to = el('input', { type: 'date', testid: 'volumes-to', value: dgaToday(1), 'aria-label': 'To (UTC−4), exclusive' });
  const granularity = el(
    'select',
    { testid: 'volumes-granularity', 'aria-label': 'Period' },
    el('option', { value: 'day' }, 'per day'),
    el('option', { value: 'month' }, 'per month'),
    el('option', { value: 'year' }, 'per year'),
  );
  const status = el('p', { class: 'status', role: 'status' });
  const chart = el('div', { class: 'chart', testid: 'volumes-chart' });
  const rows = el('div');
  const params = () => ({ from: dgaDay(from.value), to: dgaDay(to.value), granularity: granularity.value });
  const path = (file) => `v1/dga/${encodeURIComponent(obra)}/${file}`;

  async function download(file, type, name, button) {
    button.disabled = true;
    try {
      const res = await request(path(file), file === 'evidence.zip' ? { from: params().from, to: params().to } : params());
      save(new Blob([await res.arrayBuffer()], { type }), name);
      const sha = res.headers.get('x-manifest-sha256');
      setStatus(
        status,
        sha === null ? `${name} downloaded.` : `${name} downloaded; manifest sha256 ${sha}. Check it with atalaya verify ${name} --rpc … --contract ….`,
        'ok',
      );
    } catch (err) {
      setStatus(status, describeError(err), 'error');
    } finally {
      button.disabled = false;
    }
  }

  async function load() {
    setStatus(status, 'Loading…');
    try {
      const v = await (await request(path('volumes'), params())).json();
      const annual = v.waterRight === null ? null : v.waterRight.annualM3;
      drawBars(chart, v.periods, annual);
      setChildren(
        rows,
        table(
          [
            { label: 'Period (UTC−4)', cell: (p) => p.label },
            { label: 'Volume m³', class: 'num', cell: (p) => (p.volumeM3 === null ? '—' : String(p.volumeM3)) },
            { label: '% of annual right', class: 'num', cell: (p) => (p.shareOfAnnualPct === null ? '—' : `${p.shareOfAnnualPct} %`) },
            { label: 'Readings', class: 'num', cell: (p) => String(p.readings) },
            { label: 'Flags', cell: (p) => (p.flags.length === 0 ? '' : el('span', { class: 'warn-text' }, p.flags.join(', '))) },
          ],
          v.periods,
          (p) => ({ testid: `volumes-row-${p.label}` }),
          { testid: 'volumes-table', class: 'cards' },
        ),
      );
      setStatus(
        status,
        `${v.totalM3} m³ in the range${annual === null ? '' : ` (${Math.round((v.totalM3 / annual) * 10_000) / 100} % of the annual right of ${annual} m³)`}.`,
      );
    } catch (err) {
      setStatus(status, describeError(err), 'error');
    }
  }

  const query = el('button', { type: 'button', testid: 'volumes-query', onclick: () => void load() }, 'Show');
  const csv = el('button', { type: 'button', class: 'secondary', testid: 'volumes-csv' }, 'CSV');
  csv.addEventListener('click', () => void download('volumes.csv', 'text/csv', `${obra}-volumes-${granularity.value}.csv`, csv));
  const pack = el(
    'button',
    {
      type: 'button',
      class: 'secondary',
      testid: 'evidence-download',
      title: "Every slot of the period with what was sent, DGA's answer, the audit trail, the readings and their anchoring proofs",
    },
    'Evidence pack (zip)',
  );
  pack.addEventListener('click', () => void download('evidence.zip', 'application/zip', `${obra}-evidence-${from.value}-${to.value}.zip`, pack));
  const section = el(
    'section',
    { testid: 'dga-volumes' },
    el('h4', {}, 'Extracted volumes'),
    el('div', { class: 'toolbar' }, from, to, granularity, query, csv, pack),
    status,
    chart,
    rows,
  );
  void load();
  return section;
}
