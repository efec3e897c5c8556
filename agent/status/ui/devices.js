// Device cards: health from GET /api/devices (refreshed periodically), channel values kept current
// from `records` events. One element per channel, updated in place so a chart or focus survives.
import { ageOf, fmtShortDuration, fmtValue, h, observeGatewayNow, setText } from './dom.js';
import { fixed, fmtCount, fmtPercent } from './format.js';
import { t } from './i18n.js';
import { exceptionName, qualityLabel } from './labels.js';

/** MQTT devices have no configured interval: a value older than this is stale. */
const MQTT_STALE_MS = 60_000;
/** A Modbus value is stale after missing this many polls. */
const STALE_POLLS = 3;

/** Labels of a device's link state (data-state keeps the wire value). */
const stateLabel = (s) =>
  ({
    ok: t('devices.state.ok'),
    failing: t('devices.state.failing'),
    backoff: t('devices.state.backoff'),
    unknown: t('devices.state.unknown'),
    mqtt: t('devices.state.mqtt'),
  })[s] ?? s;

const devices = new Map();
let listEl = null;
let handlers = { onChannelClick: () => {}, onDeviceRemoved: () => {} };

export function mountDevices(root, options) {
  listEl = root;
  handlers = { ...handlers, ...options };
}

/** Merges a GET /api/devices answer: adds, updates, and drops devices the agent no longer lists. */
export function renderDevices(list) {
  const seen = new Set();
  for (const info of list) {
    seen.add(info.id);
    const dev = ensureDevice(info.id, info);
    dev.info = info;
    paintHealth(dev);
    for (const ch of info.channels) {
      // ts + ageMs is the gateway clock when the answer was built.
      if (Number.isFinite(ch.ageMs)) observeGatewayNow(ch.ts + ch.ageMs);
      upsertChannel(dev, ch);
    }
  }
  for (const [id, dev] of devices) {
    if (seen.has(id)) continue;
    dev.card.remove();
    devices.delete(id);
    handlers.onDeviceRemoved(id);
  }
  paintEmpty();
}

/** `records` event: readings update their channel; devices seen for the first time get a card. */
export function applyRecords(records) {
  for (const r of records) {
    if (r.kind !== 'reading') continue;
    const dev = ensureDevice(r.device, {
      id: r.device,
      profile: null,
      transport: 'mqtt',
      address: null,
      unitId: null,
      intervalMs: null,
      health: null,
      channels: [],
    });
    upsertChannel(dev, r);
  }
  paintEmpty();
}

export function channelUnit(device, channel) {
  return devices.get(device)?.channels.get(channel)?.data.unit ?? '';
}

/** Devices the register inspector can read: everything but MQTT-only devices. */
export function modbusDeviceIds() {
  return [...devices.values()].filter((d) => d.info.transport !== 'mqtt').map((d) => d.info.id);
}

export function setChannelSelected(device, channel, selected) {
  const ch = devices.get(device)?.channels.get(channel);
  if (ch) ch.button.setAttribute('aria-pressed', String(selected));
}

/** Every second: ages and staleness. */
export function paintAges() {
  for (const dev of devices.values()) {
    const staleMs = dev.info.intervalMs ? STALE_POLLS * dev.info.intervalMs : MQTT_STALE_MS;
    for (const ch of dev.channels.values()) {
      const age = ageOf(ch.data.ts);
      const stale = age !== null && age > staleMs;
      setText(ch.age, fmtShortDuration(age));
      if (ch.button.dataset.stale !== String(stale)) ch.button.dataset.stale = String(stale);
    }
  }
}

function ensureDevice(id, info) {
  let dev = devices.get(id);
  if (dev) return dev;
  const badge = h('span', { class: 'badge', testid: `device-state-${id}` });
  const meta = h('p', { class: 'device-meta', testid: `device-meta-${id}` });
  const stat = (key, label) => {
    const value = h('span', { class: 'stat-value', testid: `device-${key}-${id}` });
    return [h('div', { class: 'stat' }, h('span', { class: 'stat-label', text: label }), value), value];
  };
  const [successBox, success] = stat('success', t('devices.success'));
  const [latencyBox, latency] = stat('latency', t('devices.latency'));
  const [errorBox, error] = stat('error', t('devices.lastError'));
  const channelsEl = h('div', { class: 'channels' });
  const charts = h('div', { class: 'charts', testid: `charts-${id}` });
  const card = h(
    'article',
    { class: 'card device', testid: `device-${id}` },
    h('header', { class: 'device-head' }, h('h3', { translate: 'no', text: id }), badge),
    meta,
    h('div', { class: 'stats' }, successBox, latencyBox, errorBox),
    channelsEl,
    charts,
  );
  dev = { info, card, badge, meta, success, latency, error, channelsEl, charts, channels: new Map() };
  devices.set(id, dev);
  listEl.append(card);
  paintHealth(dev);
  return dev;
}

function paintHealth(dev) {
  const info = dev.info;
  const health = info.health;
  const state = health ? health.state : info.transport === 'mqtt' ? 'mqtt' : 'unknown';
  setText(dev.badge, stateLabel(state));
  dev.badge.dataset.state = state;
  dev.card.dataset.state = state;
  const parts = [info.transport];
  if (info.address) parts.push(info.address);
  if (info.unitId !== null && info.unitId !== undefined) parts.push(t('devices.unit', { id: info.unitId }).replace(' ', '\u00a0'));
  if (info.intervalMs) parts.push(t('devices.every', { seconds: fmtCount(info.intervalMs / 1000) }).replace(/ (?=s$)/, '\u00a0'));
  if (info.profile) parts.push(info.profile);
  setText(dev.meta, parts.join(' · '));
  if (!health) {
    for (const el of [dev.success, dev.latency, dev.error]) setText(el, '—');
    return;
  }
  setText(dev.success, health.successRate === null ? '—' : fmtPercent(health.successRate * 100, 1));
  dev.success.dataset.level = health.successRate === null || health.successRate >= 0.98 ? 'ok' : health.successRate >= 0.9 ? 'warn' : 'bad';
  setText(dev.latency, health.lastLatencyMs === null ? '—' : `${fixed(health.lastLatencyMs, 0)} ms`);
  const code = health.lastErrorCode;
  setText(dev.error, code ? code.replace(/^ATALAYA_(MODBUS_)?/, '') : t('devices.none'));
  dev.error.title = code ?? '';
  dev.error.dataset.level = code && health.state !== 'ok' ? 'bad' : 'ok';
}

function upsertChannel(dev, data) {
  let ch = dev.channels.get(data.channel);
  if (!ch) {
    const key = `${dev.info.id}-${data.channel}`;
    const value = h('span', { class: 'ch-value', testid: `value-${key}` });
    const unit = h('span', { class: 'ch-unit', testid: `unit-${key}` });
    const quality = h('span', { class: 'ch-quality', testid: `quality-${key}` });
    const age = h('span', { class: 'ch-age', testid: `age-${key}` });
    const button = h(
      'button',
      { type: 'button', class: 'channel', testid: `channel-${key}`, 'aria-pressed': 'false', title: t('devices.showRecent') },
      h('span', { class: 'ch-line' }, h('span', { class: 'ch-name', translate: 'no', text: data.channel }), age),
      h('span', { class: 'ch-line' }, h('span', { class: 'ch-reading' }, value, unit), quality),
    );
    button.addEventListener('click', () => handlers.onChannelClick(dev.info.id, data.channel, dev.charts));
    ch = { data, value, unit, quality, age, button };
    dev.channels.set(data.channel, ch);
    dev.channelsEl.append(button);
  } else if (Number.isFinite(ch.data.seq) && Number.isFinite(data.seq) && data.seq < ch.data.seq) {
    return; // an older answer racing a newer event
  }
  ch.data = data;
  setText(ch.value, fmtValue(data.value));
  setText(ch.unit, data.unit ?? '');
  const q = data.quality;
  let text = qualityLabel(q);
  if (q === 'exception' && data.exception !== null && data.exception !== undefined) text = t('devices.exceptionCode', { code: data.exception });
  setText(ch.quality, q === 'good' ? '' : text);
  ch.quality.title = q === 'exception' && data.exception ? exceptionName(data.exception) : '';
  ch.button.dataset.quality = q;
  setText(ch.age, fmtShortDuration(ageOf(data.ts)));
}

function paintEmpty() {
  const empty = listEl.querySelector('.empty');
  if (devices.size === 0 && !empty) listEl.append(h('p', { class: 'empty', text: t('devices.empty') }));
  if (devices.size > 0 && empty) empty.remove();
}
