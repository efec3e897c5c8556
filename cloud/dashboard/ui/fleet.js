// Fleet tab (issue 16 §1): GET /v1/fleet → one row per gateway (online/offline, version, config
// version, health flags); a row's details and history from GET /v1/fleet/<id>, charted with uPlot.

import { api, describeError, relayNow } from './api.js';
import { el, facts, linkButton, setChildren, setStatus, table, wire } from './dom.js';
import { axisTimeLabels, fmtDuration, fmtInt, fmtNumber, fmtOffset, fmtTime } from './format.js';
import { t } from './i18n.js';
import { toolbar } from './toolbar.js';

const HEIGHT = 220;
/** Steps between the time axis's ticks, s: from a second to a week. */
const TIME_STEPS_S = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10_800, 21_600, 43_200, 86_400, 172_800, 604_800];

/** Bytes in binary multiples, named as the status page names them (`1,5 KB`). */
const fmtBytes = (n) => {
  if (n === null || n === undefined) return '—';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${fmtNumber(v, i === 0 ? 0 : 1)} ${units[i]}`;
};

/** Health flags and device link states are wire values (cloud/fleet/flags.ts, protocols/fleet/health.ts). */
function labels() {
  return {
    flags: {
      clock_unsynced: t('fleet.flag.clock_unsynced'),
      buffer_backlog: t('fleet.flag.buffer_backlog'),
      buffer_unwritable: t('fleet.flag.buffer_unwritable'),
      device_down: t('fleet.flag.device_down'),
      disk_low: t('fleet.flag.disk_low'),
      hot_cpu: t('fleet.flag.hot_cpu'),
    },
    devices: {
      unknown: t('fleet.device.unknown'),
      ok: t('fleet.device.ok'),
      failing: t('fleet.device.failing'),
      backoff: t('fleet.device.backoff'),
    },
  };
}

const stateBadge = (g) => el('span', { class: g.online ? 'badge ok' : 'badge warn' }, g.online ? t('fleet.online') : t('fleet.offline'));

export function fleetTab(root) {
  const L = labels();
  const flagBadges = (flags) => flags.map((f) => el('span', { class: 'badge warn', 'data-flag': f }, L.flags[f] ?? wire(f)));
  const deviceText = (d) => `${d.id}: ${L.devices[d.state] ?? d.state}${d.ok === null ? '' : ` (${fmtInt(Math.round(d.ok * 100))} %)`}`;
  const status = el('p', { class: 'status', role: 'status' });
  const summary = el('p', { class: 'summary', testid: 'fleet-summary' });
  const body = el('div');
  const detail = el('div', { class: 'detail', testid: 'fleet-detail', hidden: true });
  root.append(
    toolbar(t('fleet.heading'), () => refresh()),
    summary,
    status,
    body,
    detail,
  );
  let plot = null;
  let observer = null;
  let openId = null;

  function render(data) {
    const { gateways, offlineAfterMs } = data;
    const now = relayNow();
    const online = gateways.filter((g) => g.online).length;
    const counts = { n: fmtInt(gateways.length), online: fmtInt(online), offline: fmtInt(gateways.length - online), after: fmtDuration(offlineAfterMs) };
    if (gateways.length === 0) summary.textContent = t('gateways.none');
    else summary.textContent = gateways.length === 1 ? t('fleet.summaryOne', counts) : t('fleet.summary', counts);
    summary.className = online < gateways.length ? 'summary warn' : 'summary';
    const columns = [
      { key: 'gateway', label: t('fleet.col.gateway'), cell: (g) => linkButton(g.id, () => void open(g.id), { testid: `fleet-open-${g.id}` }) },
      { key: 'state', label: t('fleet.col.state'), cell: stateBadge },
      { key: 'lastSeen', label: t('fleet.col.lastSeen'), cell: (g) => (g.lastSeenAt === null ? t('fleet.neverSeen') : fmtDuration(now - g.lastSeenAt)) },
      { key: 'version', label: t('fleet.col.version'), cell: (g) => wire(g.version) || '—' },
      { key: 'config', label: t('fleet.col.config'), cell: (g) => wire(g.configVersion) || '—' },
      { key: 'flags', label: t('fleet.col.flags'), cell: (g) => (g.healthAt === null ? t('fleet.noReport') : flagBadges(g.flags)) },
      { key: 'buffer', label: t('fleet.col.buffer'), class: 'num', cell: (g) => fmtInt(g.bufferDepth) },
      {
        key: 'devices',
        label: t('fleet.col.devices'),
        class: 'num',
        cell: (g) => (g.devicesTotal === null ? '—' : `${fmtInt(g.devicesUp)}/${fmtInt(g.devicesTotal)}`),
      },
      { key: 'cpu', label: t('fleet.col.cpu'), class: 'num', cell: (g) => (g.cpuTempC === null ? '—' : fmtNumber(g.cpuTempC, 1)) },
      { key: 'disk', label: t('fleet.col.disk'), class: 'num', cell: (g) => fmtBytes(g.diskFreeBytes) },
    ];
    setChildren(
      body,
      gateways.length === 0
        ? null
        : table(
            columns,
            gateways,
            (g) => ({ testid: `fleet-row-${g.id}`, class: g.online ? undefined : 'stale', 'data-online': g.online ? 'true' : 'false' }),
            { class: 'cards' },
          ),
    );
  }

  async function refresh() {
    try {
      render(await api('v1/fleet'));
      setStatus(status, t('common.updated', { time: fmtTime(Date.now()) }));
      if (openId !== null) await open(openId, false);
    } catch (err) {
      setStatus(status, describeError(err), 'error');
    }
  }

  async function open(id, scroll = true) {
    openId = id;
    detail.hidden = false;
    if (scroll) {
      setChildren(detail, el('p', { class: 'status' }, t('common.loading')));
      detail.scrollIntoView({ block: 'nearest' });
    }
    try {
      const g = await api(`v1/fleet/${encodeURIComponent(id)}`);
      const h = g.health;
      const chartArea = el('div', { testid: 'fleet-chart' });
      setChildren(
        detail,
        el(
          'div',
          { class: 'toolbar' },
          el('h3', {}, g.id, ' ', stateBadge(g)),
          el(
            'button',
            {
              type: 'button',
              class: 'secondary',
              onclick: () => {
                openId = null;
                detail.hidden = true;
              },
            },
            t('common.close'),
          ),
        ),
        h === null
          ? el('p', { class: 'hint' }, t('fleet.noReport'))
          : [
              el('p', {}, flagBadges(g.flags)),
              facts([
                [t('fleet.col.version'), wire(h.version)],
                [t('fleet.col.config'), wire(h.configVersion) || '—'],
                [t('fleet.fact.uptime'), fmtDuration(h.uptimeS * 1000)],
                [t('fleet.fact.bootId'), wire(h.bootId)],
                [t('fleet.fact.clock'), `${h.clock.synced ? t('fleet.clock.synced') : t('fleet.clock.unsynced')}, ${fmtOffset(h.clock.offsetMs)}`],
                [t('fleet.fact.buffer'), `${fmtInt(h.buffer.depth)} (${fmtBytes(h.buffer.bytes)})`],
                [t('fleet.fact.oldest'), fmtTime(h.buffer.oldestTs)],
                [t('fleet.fact.evicted'), `${fmtInt(h.buffer.evicted.ordinary)} / ${fmtInt(h.buffer.evicted.dga)} / ${fmtInt(h.buffer.evicted.alarm)}`],
                [t('fleet.fact.broker'), h.brokerClients === null ? '—' : fmtInt(h.brokerClients)],
                [t('fleet.fact.memory'), `${fmtBytes(h.memory.rssBytes)} / ${fmtBytes(h.memory.availableBytes)}`],
                [t('fleet.fact.disk'), h.disk === null ? '—' : `${fmtBytes(h.disk.freeBytes)} / ${fmtBytes(h.disk.totalBytes)}`],
                [t('fleet.fact.polls'), fmtInt(g.polls)],
                [t('fleet.fact.devices'), h.devices.map(deviceText).join(', ') || '—'],
              ]),
            ],
        chartArea,
      );
      drawHistory(chartArea, g.history);
    } catch (err) {
      setChildren(detail, el('p', { class: 'status error' }, describeError(err)));
    }
  }

  function drawHistory(container, history) {
    plot?.destroy();
    plot = null;
    observer?.disconnect();
    observer = null;
    if (history.length === 0) return setChildren(container, el('p', { class: 'hint' }, t('fleet.noHistory')));
    const uPlot = globalThis.uPlot;
    if (typeof uPlot !== 'function') return setChildren(container, el('p', { class: 'status error' }, t('common.chartMissing')));
    const area = el('div');
    setChildren(container, el('p', { class: 'hint' }, t('fleet.chartHint')), area);
    const width = () => Math.max(280, container.clientWidth - 8);
    const data = [history.map((r) => r.at / 1000), history.map((r) => r.bufferDepth), history.map((r) => r.cpuTempC)];
    plot = new uPlot(
      {
        width: width(),
        height: HEIGHT,
        scales: { x: { time: true } },
        // Axis ticks and the legend in the page's language, as the readings chart (chart.js).
        series: [
          { label: t('chart.time'), value: (_u, v) => (v === null ? '—' : fmtTime(v * 1000)) },
          { label: t('fleet.series.buffer'), stroke: '#1f77b4', width: 1.5, scale: 'n', value: (_u, v) => fmtInt(v) },
          { label: t('fleet.series.cpu'), stroke: '#d62728', width: 1.5, scale: 'c', value: (_u, v) => (v === null ? '—' : fmtNumber(v, 1)) },
        ],
        axes: [
          // Whole seconds at least 80 px apart: a history of a few seconds would otherwise repeat one label.
          { space: 80, incrs: TIME_STEPS_S, values: (u, splits) => axisTimeLabels(splits, (u.scales.x.max ?? 0) - (u.scales.x.min ?? 0)) },
          { scale: 'n', size: 64, values: (_u, splits) => splits.map((v) => fmtNumber(v, 1)) },
          { scale: 'c', side: 1, grid: { show: false }, values: (_u, splits) => splits.map((v) => fmtNumber(v, 1)) },
        ],
        cursor: { drag: { x: true, y: false } },
      },
      data,
      area,
    );
    // The chart follows its container's width (a phone turned, a window resized), as chart.js does.
    if (typeof ResizeObserver === 'function') {
      observer = new ResizeObserver(() => plot?.setSize({ width: width(), height: HEIGHT }));
      observer.observe(container);
    }
  }

  return { show: refresh, refresh, autoRefresh: true };
}
