// One small uPlot chart per selected channel: recent values from GET /api/series, then points
// appended from `records` events. uPlot is the global from /assets/uplot.iife.min.js.
import { ApiError, api } from './api.js';
import { h } from './dom.js';
import { fmtValue } from './format.js';
import { t } from './i18n.js';

/** Same depth as the server's ring (last 720 readings per channel). */
const MAX_POINTS = 720;
const HEIGHT = 180;
const AXIS_FONT = 'bold 13px system-ui, sans-serif';

const charts = new Map();
let closedListener = () => {};
const keyOf = (device, channel) => JSON.stringify([device, channel]);

/** Opens the chart for a channel, or closes it when open. Resolves to whether it is now open. */
export function toggleChart(device, channel, container, onAuthLost) {
  const key = keyOf(device, channel);
  const open = charts.get(key);
  if (open) {
    closeChart(key);
    return false;
  }
  const title = h('span', { class: 'chart-title', text: channel });
  const status = h('span', { class: 'chart-status', testid: `chart-status-${device}-${channel}` });
  const plotEl = h('div', { class: 'chart-plot' });
  const panel = h(
    'div',
    { class: 'chart', testid: `chart-${device}-${channel}` },
    h(
      'div',
      { class: 'chart-head' },
      title,
      status,
      h('button', { type: 'button', class: 'chart-close', 'aria-label': t('chart.close'), text: '×', onclick: () => closeChart(key) }),
    ),
    plotEl,
  );
  container.append(panel);
  const chart = { device, channel, panel, plotEl, status, xs: [], ys: [], plot: null, observer: null };
  charts.set(key, chart);
  void load(chart, onAuthLost);
  return true;
}

export function onChartClosed(listener) {
  closedListener = listener;
}

function closeChart(key) {
  const chart = charts.get(key);
  if (!chart) return;
  charts.delete(key);
  chart.observer?.disconnect();
  chart.plot?.destroy();
  chart.panel.remove();
  closedListener(chart.device, chart.channel);
}

export function closeChartsOf(device) {
  for (const [key, chart] of charts) if (chart.device === device) closeChart(key);
}

/** After a reconnect: the stream may have missed points, reload every open chart. */
export function reloadCharts(onAuthLost) {
  for (const chart of charts.values()) void load(chart, onAuthLost);
}

export function appendToCharts(records) {
  for (const r of records) {
    if (r.kind !== 'reading' || r.value === null) continue;
    const chart = charts.get(keyOf(r.device, r.channel));
    if (!chart) continue;
    const x = r.ts / 1000;
    if (chart.xs.length > 0 && x < chart.xs[chart.xs.length - 1]) continue;
    chart.xs.push(x);
    chart.ys.push(r.value);
    if (chart.xs.length > MAX_POINTS) {
      chart.xs.shift();
      chart.ys.shift();
    }
    draw(chart);
  }
}

async function load(chart, onAuthLost) {
  chart.status.textContent = t('chart.loading');
  const q = new URLSearchParams({ device: chart.device, channel: chart.channel });
  try {
    const series = await api(`/api/series?${q}`);
    chart.xs = series.points.map((p) => p[0] / 1000);
    chart.ys = series.points.map((p) => p[1]);
    chart.unit = series.unit;
    chart.status.textContent = series.unit ? `(${series.unit})` : '';
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) {
      chart.status.textContent = t('chart.noValues');
    } else if (err instanceof ApiError) {
      chart.status.textContent = t('chart.error', { message: err.message });
      return;
    } else {
      onAuthLost(err);
      return;
    }
  }
  if (charts.get(keyOf(chart.device, chart.channel)) !== chart) return; // closed meanwhile
  draw(chart);
}

// uPlot's default time labels stack date and time and overlap on a phone; the chart spans at most
// 720 readings, so the time of day is enough.
function clockLabels(u, splits) {
  const span = (u.scales.x.max ?? 0) - (u.scales.x.min ?? 0);
  const length = span < 600 ? 8 : 5;
  return splits.map((s) => new Date(s * 1000).toTimeString().slice(0, length));
}

function draw(chart) {
  const data = [chart.xs, chart.ys];
  if (chart.plot) {
    chart.plot.setData(data);
    return;
  }
  if (typeof uPlot === 'undefined') {
    chart.status.textContent = t('chart.missing');
    return;
  }
  const opts = {
    width: Math.max(200, chart.plotEl.clientWidth),
    height: HEIGHT,
    legend: { show: false },
    cursor: { drag: { x: false, y: false } },
    scales: { x: { time: true } },
    series: [{}, { label: chart.channel, stroke: '#0040a0', width: 2, points: { show: false }, spanGaps: false }],
    axes: [
      { stroke: '#000', font: AXIS_FONT, grid: { stroke: '#ccc', width: 1 }, ticks: { stroke: '#999' }, space: 80, values: clockLabels },
      {
        stroke: '#000',
        font: AXIS_FONT,
        grid: { stroke: '#ccc', width: 1 },
        ticks: { stroke: '#999' },
        size: 64,
        values: (_u, splits) => splits.map(fmtValue),
      },
    ],
  };
  chart.plot = new uPlot(opts, data, chart.plotEl);
  chart.observer = new ResizeObserver(() => {
    const width = Math.max(200, chart.plotEl.clientWidth);
    if (chart.plot && Math.abs(chart.plot.width - width) > 1) chart.plot.setSize({ width, height: HEIGHT });
  });
  chart.observer.observe(chart.plotEl);
}
