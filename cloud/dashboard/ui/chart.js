// The readings page of one channel as a uPlot chart (the global `uPlot` from
// assets/uplot.iife.min.js), one series per gateway/device carrying that channel name.
import { el, setChildren } from './dom.js';
import { axisTimeLabels, fmtTime, fmtValue } from './format.js';
import { t } from './i18n.js';

const HEIGHT = 260;
const MAX_SERIES = 8;
const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#17becf', '#8c564b', '#e377c2'];

let plot = null;
let observer = null;

function cssVar(name, fallback) {
  const v = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return v === '' ? fallback : v;
}

/** [[x seconds…], [y…]] per `gateway / device`: comm errors (value null) stay as gaps. */
function seriesOf(items, channel) {
  const groups = new Map();
  for (const r of items) {
    if (r.kind !== 'reading' || r.channel !== channel) continue;
    const key = `${r.gateway} / ${r.device}`;
    if (!groups.has(key)) groups.set(key, { unit: r.unit, points: new Map() });
    // One point per instant (a later record of the same instant wins).
    groups.get(key).points.set((r.tsCorrected ?? r.ts) / 1000, r.value);
  }
  return [...groups.entries()].slice(0, MAX_SERIES).map(([key, g]) => {
    const xs = [...g.points.keys()].sort((a, b) => a - b);
    return { key, unit: g.unit, table: [xs, xs.map((x) => g.points.get(x))] };
  });
}

export function drawChart(container, items, channel) {
  plot?.destroy();
  plot = null;
  observer?.disconnect();
  observer = null;
  const uPlot = globalThis.uPlot;
  const series = seriesOf(items, channel);
  if (series.length === 0) {
    setChildren(container, el('p', { class: 'hint' }, t('chart.noReadings', { channel })));
    return;
  }
  if (typeof uPlot !== 'function') {
    setChildren(container, el('p', { class: 'status error' }, t('common.chartMissing')));
    return;
  }
  const units = [...new Set(series.map((s) => s.unit))];
  const data = series.length === 1 ? series[0].table : uPlot.join(series.map((s) => s.table));
  const fg = cssVar('--fg', '#222');
  const grid = cssVar('--grid', '#ddd');
  const axis = { stroke: fg, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } };
  const plotArea = el('div');
  setChildren(container, el('p', { class: 'hint' }, t('chart.hint', { channel, units: units.join(', ') })), plotArea);
  const width = () => Math.max(280, container.clientWidth - 8);
  plot = new uPlot(
    {
      width: width(),
      height: HEIGHT,
      scales: { x: { time: true } },
      // Axis ticks and the legend in the page's language (decimal comma and dd-mm in es-CL).
      series: [
        { label: t('chart.time'), value: (_u, v) => (v === null ? '—' : fmtTime(v * 1000)) },
        ...series.map((s, i) => ({
          label: s.key,
          stroke: COLORS[i % COLORS.length],
          width: 1.5,
          points: { show: data[0].length <= 200 },
          value: (_u, v) => fmtValue(v),
        })),
      ],
      axes: [
        { ...axis, values: (u, splits) => axisTimeLabels(splits, (u.scales.x.max ?? 0) - (u.scales.x.min ?? 0)) },
        { ...axis, label: units.join(', '), size: 64, values: (_u, splits) => splits.map((v) => fmtValue(v)) },
      ],
      cursor: { drag: { x: true, y: false } },
    },
    data,
    plotArea,
  );
  if (typeof ResizeObserver === 'function') {
    observer = new ResizeObserver(() => plot?.setSize({ width: width(), height: HEIGHT }));
    observer.observe(container);
  }
}
