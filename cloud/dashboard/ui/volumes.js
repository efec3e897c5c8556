// Extracted volumes of one obra (GET /v1/dga/<obra>/volumes, cloud/dga/volumes.ts): a uPlot bar
// chart and a table per day, month or year on DGA's fixed UTC−4 calendar, the share of the annual
// water right, and downloads of the same as CSV (…/volumes.csv) and of the inspection evidence
// pack of the period (…/evidence.zip, checked with `atalaya verify pack.zip`).
import { describeError, request } from './api.js';
import { el, setChildren, setStatus, table } from './dom.js';
import { fmtMeasure, fmtNumber, fmtPeriod, fmtValue } from './format.js';
import { t } from './i18n.js';
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
    setChildren(container, el('p', { class: 'status error' }, t('common.chartMissing')));
    return;
  }
  const xs = periods.map((p) => Date.parse(p.startIso) / 1000);
  const ys = periods.map((p) => p.volumeM3);
  const area = el('div');
  setChildren(container, area);
  const bars = uPlot.paths?.bars?.({ size: [0.8, 64] });
  // One tick per period, named as the table names it (DGA's UTC−4 calendar, not the browser's),
  // thinned to about one per 90 px.
  const labels = new Map(periods.map((p) => [Date.parse(p.startIso) / 1000, fmtPeriod(p.label)]));
  const width = Math.max(280, container.clientWidth - 8);
  const step = Math.max(1, Math.ceil(xs.length / Math.max(1, Math.floor(width / 90))));
  const pad = (xs.length > 1 ? xs[1] - xs[0] : 86_400) / 2;
  plot = new uPlot(
    {
      width,
      height: HEIGHT,
      // Half a period on each side: the first and last bars and their labels are drawn whole.
      scales: { x: { time: true, range: (_u, min, max) => [min - pad, max + pad] } },
      series: [
        { label: t('volumes.period'), value: (_u, v) => labels.get(v) ?? '—' },
        {
          label: annualM3 === null ? t('volumes.series') : t('volumes.seriesRight', { annual: fmtMeasure(annualM3, 'm³') }),
          value: (_u, v) => fmtMeasure(v, 'm³'),
          stroke: '#1f77b4',
          fill: 'rgba(31,119,180,0.35)',
          width: 1,
          ...(bars === undefined ? {} : { paths: bars, points: { show: false } }),
        },
      ],
      axes: [
        { splits: () => xs.filter((_, i) => i % step === 0), values: (_u, splits) => splits.map((s) => labels.get(s) ?? '') },
        { label: t('volumes.axis'), size: 64, values: (_u, splits) => splits.map((v) => fmtValue(v)) },
      ],
    },
    [xs, ys],
    area,
  );
}

export function volumesView(obra) {
  const from = el('input', { type: 'date', testid: 'volumes-from', value: dgaToday(-30), 'aria-label': t('volumes.from') });
  const to = el('input', { type: 'date', testid: 'volumes-to', value: dgaToday(1), 'aria-label': t('volumes.to') });
  const granularity = el(
    'select',
    { testid: 'volumes-granularity', 'aria-label': t('volumes.period') },
    el('option', { value: 'day' }, t('volumes.perDay')),
    el('option', { value: 'month' }, t('volumes.perMonth')),
    el('option', { value: 'year' }, t('volumes.perYear')),
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
      setStatus(status, sha === null ? t('volumes.downloaded', { name }) : t('volumes.downloadedSha', { name, sha }), 'ok');
    } catch (err) {
      setStatus(status, describeError(err), 'error');
    } finally {
      button.disabled = false;
    }
  }

  async function load() {
    setStatus(status, t('common.loading'));
    try {
      const v = await (await request(path('volumes'), params())).json();
      const annual = v.waterRight === null ? null : v.waterRight.annualM3;
      drawBars(chart, v.periods, annual);
      setChildren(
        rows,
        table(
          [
            { key: 'period', label: t('volumes.col.period'), cell: (p) => fmtPeriod(p.label) },
            { key: 'volume', label: t('volumes.col.volume'), class: 'num', cell: (p) => fmtValue(p.volumeM3) },
            {
              key: 'share',
              label: t('volumes.col.share'),
              class: 'num',
              cell: (p) => (p.shareOfAnnualPct === null ? '—' : `${fmtValue(p.shareOfAnnualPct)} %`),
            },
            { key: 'readings', label: t('volumes.col.readings'), class: 'num', cell: (p) => fmtValue(p.readings) },
            { key: 'flags', label: t('volumes.col.flags'), cell: (p) => (p.flags.length === 0 ? '' : el('span', { class: 'warn-text' }, p.flags.join(', '))) },
          ],
          v.periods,
          (p) => ({ testid: `volumes-row-${p.label}` }),
          { testid: 'volumes-table', class: 'cards' },
        ),
      );
      setStatus(
        status,
        annual === null
          ? t('volumes.total', { total: fmtMeasure(v.totalM3, 'm³') })
          : t('volumes.totalShare', { total: fmtMeasure(v.totalM3, 'm³'), share: fmtNumber((v.totalM3 / annual) * 100), annual: fmtMeasure(annual, 'm³') }),
      );
    } catch (err) {
      setStatus(status, describeError(err), 'error');
    }
  }

  const query = el('button', { type: 'button', testid: 'volumes-query', onclick: () => void load() }, t('volumes.show'));
  const csv = el('button', { type: 'button', class: 'secondary', testid: 'volumes-csv' }, t('volumes.csv'));
  csv.addEventListener('click', () => void download('volumes.csv', 'text/csv', `${obra}-volumes-${granularity.value}.csv`, csv));
  const pack = el(
    'button',
    {
      type: 'button',
      class: 'secondary',
      testid: 'evidence-download',
      title: t('volumes.packTitle'),
    },
    t('volumes.pack'),
  );
  pack.addEventListener('click', () => void download('evidence.zip', 'application/zip', `${obra}-evidence-${from.value}-${to.value}.zip`, pack));
  const section = el(
    'section',
    { testid: 'dga-volumes' },
    el('h4', {}, t('volumes.heading')),
    el('div', { class: 'toolbar' }, from, to, granularity, query, csv, pack),
    status,
    chart,
    rows,
  );
  void load();
  return section;
}
