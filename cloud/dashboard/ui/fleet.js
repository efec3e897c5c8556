// Fleet tab (issue 16 §1): GET /v1/fleet → one row per gateway (online/offline, version, config
// version, health flags); a row's details and history from GET /v1/fleet/<id>, charted with uPlot.

import { api, describeError, relayNow } from './api.js';
import { el, facts, linkButton, setChildren, setStatus, table } from './dom.js';
import { fmtDuration, fmtInt, fmtOffset, fmtTime } from './format.js';

/** Every string this tab shows, in one place for the translation catalogue. */
const T = {
  title: 'Fleet',
  refresh: 'Refresh',
  close: 'Close',
  none: 'No gateway registered yet (atalaya relay gateway add <id>).',
  summary: (n, online, offline, afterMs) => `${n} gateway${n === 1 ? '' : 's'}: ${online} online, ${offline} offline (no poll for ${fmtDuration(afterMs)}).`,
  updated: (t) => `Updated ${t}.`,
  loading: (id) => `Loading ${id}…`,
  online: 'online',
  offline: 'offline',
  neverSeen: 'never polled',
  noReport: 'no health report yet',
  noHistory: 'No history yet.',
  noChart: 'The chart library did not load.',
  chartHint: 'Buffer depth (records, left) and CPU temperature (°C, right): drag to zoom, double-click to reset.',
  columns: {
    gateway: 'Gateway',
    state: 'State',
    lastSeen: 'Last poll',
    version: 'Version',
    config: 'Config',
    flags: 'Health',
    buffer: 'Buffer',
    devices: 'Devices up',
    cpu: 'CPU °C',
    disk: 'Disk free',
  },
  facts: {
    uptime: 'Agent uptime',
    bootId: 'Boot id',
    clock: 'Clock',
    synced: 'synchronized',
    unsynced: 'not trusted',
    buffer: 'Buffer',
    oldest: 'Oldest buffered',
    evicted: 'Evicted (ordinary / DGA / alarm)',
    broker: 'MQTT clients',
    memory: 'Memory (RSS / available)',
    disk: 'Disk (free / total)',
    polls: 'Polls',
    devices: 'Devices',
  },
  flags: {
    clock_unsynced: 'clock unsynced',
    buffer_backlog: 'buffer backlog',
    buffer_unwritable: 'buffer not writable',
    device_down: 'device down',
    disk_low: 'disk low',
    hot_cpu: 'hot CPU',
  },
  series: { buffer: 'buffer records', cpu: 'CPU °C' },
};

const HEIGHT = 220;

const fmtBytes = (n) => {
  if (n === null || n === undefined) return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
};

const stateBadge = (g) => el('span', { class: g.online ? 'badge ok' : 'badge warn' }, g.online ? T.online : T.offline);
const flagBadges = (flags) => flags.map((f) => el('span', { class: 'badge warn', 'data-flag': f }, T.flags[f] ?? f));

export function fleetTab(root) {
  const status = el('p', { class: 'status', role: 'status' });
  const summary = el('p', { class: 'summary', testid: 'fleet-summary' });
  const body = el('div');
  const detail = el('div', { class: 'detail', testid: 'fleet-detail', hidden: true });
  root.append(
    el('div', { class: 'toolbar' }, el('h2', {}, T.title), el('button', { type: 'button', class: 'secondary', onclick: () => void refresh() }, T.refresh)),
    summary,
    status,
    body,
    detail,
  );
  let plot = null;
  let openId = null;

  function render(data) {
    const { gateways, offlineAfterMs } = data;
    const now = relayNow();
    const online = gateways.filter((g) => g.online).length;
    summary.textContent = gateways.length === 0 ? T.none : T.summary(gateways.length, online, gateways.length - online, offlineAfterMs);
    summary.className = online < gateways.length ? 'summary warn' : 'summary';
    const columns = [
      { label: T.columns.gateway, cell: (g) => linkButton(g.id, () => void open(g.id), { testid: `fleet-open-${g.id}` }) },
      { label: T.columns.state, cell: stateBadge },
      { label: T.columns.lastSeen, cell: (g) => (g.lastSeenAt === null ? T.neverSeen : fmtDuration(now - g.lastSeenAt)) },
      { label: T.columns.version, cell: (g) => g.version ?? '—' },
      { label: T.columns.config, cell: (g) => g.configVersion ?? '—' },
      { label: T.columns.flags, cell: (g) => (g.healthAt === null ? T.noReport : flagBadges(g.flags)) },
      { label: T.columns.buffer, class: 'num', cell: (g) => fmtInt(g.bufferDepth) },
      { label: T.columns.devices, class: 'num', cell: (g) => (g.devicesTotal === null ? '—' : `${g.devicesUp}/${g.devicesTotal}`) },
      { label: T.columns.cpu, class: 'num', cell: (g) => (g.cpuTempC === null ? '—' : g.cpuTempC.toFixed(1)) },
      { label: T.columns.disk, class: 'num', cell: (g) => fmtBytes(g.diskFreeBytes) },
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
      setStatus(status, T.updated(fmtTime(Date.now())));
      if (openId !== null) await open(openId, false);
    } catch (err) {
      setStatus(status, describeError(err), 'error');
    }
  }

  async function open(id, scroll = true) {
    openId = id;
    detail.hidden = false;
    if (scroll) {
      setChildren(detail, el('p', { class: 'status' }, T.loading(id)));
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
            T.close,
          ),
        ),
        h === null
          ? el('p', { class: 'hint' }, T.noReport)
          : [
              el('p', {}, flagBadges(g.flags)),
              facts([
                [T.columns.version, h.version],
                [T.columns.config, h.configVersion ?? '—'],
                [T.facts.uptime, fmtDuration(h.uptimeS * 1000)],
                [T.facts.bootId, h.bootId],
                [T.facts.clock, `${h.clock.synced ? T.facts.synced : T.facts.unsynced}, ${fmtOffset(h.clock.offsetMs)}`],
                [T.facts.buffer, `${fmtInt(h.buffer.depth)} (${fmtBytes(h.buffer.bytes)})`],
                [T.facts.oldest, fmtTime(h.buffer.oldestTs)],
                [T.facts.evicted, `${fmtInt(h.buffer.evicted.ordinary)} / ${fmtInt(h.buffer.evicted.dga)} / ${fmtInt(h.buffer.evicted.alarm)}`],
                [T.facts.broker, h.brokerClients === null ? '—' : fmtInt(h.brokerClients)],
                [T.facts.memory, `${fmtBytes(h.memory.rssBytes)} / ${fmtBytes(h.memory.availableBytes)}`],
                [T.facts.disk, h.disk === null ? '—' : `${fmtBytes(h.disk.freeBytes)} / ${fmtBytes(h.disk.totalBytes)}`],
                [T.facts.polls, fmtInt(g.polls)],
                [T.facts.devices, h.devices.map((d) => `${d.id}: ${d.state}${d.ok === null ? '' : ` (${Math.round(d.ok * 100)} %)`}`).join(', ') || '—'],
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
    if (history.length === 0) return setChildren(container, el('p', { class: 'hint' }, T.noHistory));
    const uPlot = globalThis.uPlot;
    if (typeof uPlot !== 'function') return setChildren(container, el('p', { class: 'status error' }, T.noChart));
    const area = el('div');
    setChildren(container, el('p', { class: 'hint' }, T.chartHint), area);
    const data = [history.map((r) => r.at / 1000), history.map((r) => r.bufferDepth), history.map((r) => r.cpuTempC)];
    plot = new uPlot(
      {
        width: Math.max(280, container.clientWidth - 8),
        height: HEIGHT,
        scales: { x: { time: true } },
        series: [{}, { label: T.series.buffer, stroke: '#1f77b4', width: 1.5, scale: 'n' }, { label: T.series.cpu, stroke: '#d62728', width: 1.5, scale: 'c' }],
        axes: [{}, { scale: 'n', size: 64 }, { scale: 'c', side: 1, grid: { show: false } }],
        cursor: { drag: { x: true, y: false } },
      },
      data,
      area,
    );
  }

  return { show: refresh, refresh, autoRefresh: true };
}
