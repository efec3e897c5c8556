// Atalaya agent status page: what a technician on site opens on a phone. Plain ES2020 modules,
// no build step, no external requests; the page's own modules are served from /assets/*.js.
//
// Test ids (data-testid), stable for the browser tests. <d> device id, <c> channel, <r> rule,
// <a> register address (decimal), <o> word order ABCD | CDAB | BADC | DCBA.
//   Language:         lang-<tag> (the ES | EN switch: lang-es-CL, lang-en; aria-pressed)
//   Login / session:  login-section, login-form, token-input, login-submit, login-error, logout,
//                     app (the main view, hidden while logged out), load-error
//   Header:           gateway-id, gateway-version, clock-state (data-synced="true|false"),
//                     clock-warning (visible only when the clock is not synchronized),
//                     live-indicator (data-state="live|reconnecting|offline")
//   Overview tiles:   overview-<key> (value) and overview-<key>-sub (detail line), key one of
//                     uptime, cpu-temp, load, memory, disk, sync-state, sync-last-ack, sync-lag,
//                     sync-error, sync-bytes, buffer-records, buffer-oldest, buffer-bytes,
//                     buffer-evicted, mqtt-clients, mqtt-stored; the tile has data-level="ok|warn|bad"
//   Devices:          devices (list), device-<d> (card, data-state), device-state-<d> (badge:
//                     ok|failing|backoff|unknown|mqtt), device-meta-<d>, device-success-<d>,
//                     device-latency-<d>, device-error-<d>,
//                     channel-<d>-<c> (button; data-quality, data-stale="true|false", aria-pressed),
//                     value-<d>-<c> ("—" when null), unit-<d>-<c>, quality-<d>-<c> (empty when good,
//                     else e.g. "exception 2"), age-<d>-<c> (time since the reading: "3.2 s", "4 min")
//   Charts:           charts-<d> (container in the card), chart-<d>-<c>, chart-status-<d>-<c>
//   Alarms:           alarms-section (data-level="alarm|warning|acknowledged|none"), alarm-count,
//                     alarm-active (the list), alarm-none, alarm-<d>-<c>-<r> (item; data-level,
//                     data-state, data-latched), ack-<d>-<c>-<r> (button, only while raised),
//                     ack-error-<d>-<c>-<r>, alarm-recent (tbody), recent-<seq> (row)
//   Inspector:        inspector-form, inspector-device, inspector-table, inspector-address,
//                     inspector-count, inspector-submit, inspector-error (data-code, data-exception),
//                     inspector-results, inspector-row-<a>, addr-<a>, hex-<a>, u16-<a>, i16-<a>,
//                     f32-<o>-<a>, i32-<o>-<a>, u32-<o>-<a>

import { applyAlarmRecords, mountAlarms, paintAlarmAges, renderActive, renderAlarms } from './alarms.js';
import { api, Unauthenticated } from './api.js';
import { appendToCharts, closeChartsOf, onChartClosed, reloadCharts, toggleChart } from './chart.js';
import { applyRecords, channelUnit, modbusDeviceIds, mountDevices, paintAges, renderDevices, setChannelSelected } from './devices.js';
import { initI18n, languageSwitch, t } from './i18n.js';
import { mountInspector, setInspectorDevices } from './inspector.js';
import { mountOverview, paintOverview, renderOverview } from './overview.js';

/** Health and success rates are not streamed: re-read them this often, ms. */
const DEVICES_REFRESH_MS = 10_000;
/** After the server closed the stream for good (e.g. restart), try again after, ms. */
const RECONNECT_MS = 5_000;

const $ = (id) => document.getElementById(id);

let source = null;
let loggedIn = false;
let retryTimer = null;
let refreshTimer = null;

function setLive(state) {
  const el = $('live');
  el.dataset.state = state;
  el.textContent = state === 'live' ? t('live.live') : state === 'reconnecting' ? t('live.reconnecting') : t('live.offline');
}

function showLogin() {
  loggedIn = false;
  closeEvents();
  clearInterval(refreshTimer);
  $('app').hidden = true;
  $('logout').hidden = true;
  $('load-error').hidden = true;
  $('login').hidden = false;
  setLive('offline');
  $('token').focus();
}

/** Any call that answers 401 ends up here; other errors are shown and retried by the caller. */
function handleError(err) {
  if (err instanceof Unauthenticated) {
    showLogin();
    return;
  }
  const banner = $('load-error');
  banner.textContent = t('load.failed', { message: err.message });
  banner.hidden = false;
}

async function loadAll() {
  // Overview first: when logged out, one 401 instead of three.
  const overview = await api('/api/overview');
  const [devices, alarms] = await Promise.all([api('/api/devices'), api('/api/alarms')]);
  renderOverview(overview);
  renderDevices(devices.devices);
  renderAlarms(alarms);
  setInspectorDevices(modbusDeviceIds());
  paintAges();
  $('load-error').hidden = true;
}

async function start() {
  try {
    await loadAll();
  } catch (err) {
    handleError(err);
    if (!(err instanceof Unauthenticated)) scheduleRetry();
    return;
  }
  loggedIn = true;
  $('login').hidden = true;
  $('app').hidden = false;
  $('logout').hidden = false;
  clearInterval(refreshTimer);
  refreshTimer = setInterval(() => void refreshDevices(), DEVICES_REFRESH_MS);
  connectEvents();
}

async function refreshDevices() {
  try {
    const answer = await api('/api/devices');
    renderDevices(answer.devices);
    setInspectorDevices(modbusDeviceIds());
  } catch (err) {
    if (err instanceof Unauthenticated) showLogin();
    // Anything else: the live indicator already tells; the next refresh tries again.
  }
}

function scheduleRetry() {
  clearTimeout(retryTimer);
  setLive('reconnecting');
  retryTimer = setTimeout(() => {
    retryTimer = null;
    if (loggedIn) {
      // Re-check auth before reopening: EventSource does not expose the status of a refused stream.
      loadAll().then(connectEvents, (err) => {
        if (err instanceof Unauthenticated) showLogin();
        else scheduleRetry();
      });
    } else {
      void start();
    }
  }, RECONNECT_MS);
}

function connectEvents() {
  closeEvents();
  let missed = false;
  const es = new EventSource('/api/events');
  source = es;
  setLive('reconnecting');
  es.addEventListener('open', () => {
    setLive('live');
    // Records committed while the stream was down were never pushed: read the current state.
    if (missed) {
      missed = false;
      loadAll().catch(handleError);
      reloadCharts(handleError);
    }
  });
  es.addEventListener('error', () => {
    if (source !== es) return;
    missed = true;
    if (es.readyState === EventSource.CLOSED) {
      // A non-200 answer (401 after a token was revoked, or 503): the browser will not retry.
      es.close();
      source = null;
      scheduleRetry();
    } else {
      setLive('reconnecting');
    }
  });
  es.addEventListener('records', (event) => {
    const records = parse(event);
    if (!Array.isArray(records)) return;
    applyRecords(records);
    applyAlarmRecords(records);
    appendToCharts(records);
    setInspectorDevices(modbusDeviceIds());
  });
  es.addEventListener('alarms', (event) => {
    const data = parse(event);
    if (data && Array.isArray(data.active)) renderActive(data.active);
  });
  es.addEventListener('overview', (event) => {
    const data = parse(event);
    if (data?.gateway) renderOverview(data);
  });
}

function closeEvents() {
  clearTimeout(retryTimer);
  retryTimer = null;
  if (source) source.close();
  source = null;
}

function parse(event) {
  try {
    return JSON.parse(event.data);
  } catch {
    return null;
  }
}

async function login(event) {
  event.preventDefault();
  const input = $('token');
  const errorEl = $('login-error');
  const submit = $('login-form').querySelector('button[type="submit"]');
  errorEl.textContent = '';
  submit.disabled = true;
  try {
    await api('/api/login', { token: input.value.trim() });
    input.value = '';
    await start();
  } catch (err) {
    errorEl.textContent = err instanceof Unauthenticated ? t('login.refused') : t('login.failed', { message: err.message });
  } finally {
    submit.disabled = false;
  }
}

async function logout() {
  try {
    await api('/api/logout', {});
  } catch {
    // Reloading shows the token form whenever the cookie no longer works, whatever happened here.
  }
  // A fresh page leaves nothing of the previous session in the DOM.
  location.reload();
}

function onAlarmsChanged(active) {
  const raised = active.filter((a) => a.state === 'raised').length;
  document.title = raised > 0 ? t('app.titleAlarms', { count: raised }) : t('app.title');
}

async function main() {
  // The catalogues first: every text below is written in the chosen language.
  await initI18n();
  $('lang-switch').replaceWith(languageSwitch());
  mountOverview($('overview'));
  mountDevices($('device-list'), {
    onChannelClick: (device, channel, container) => setChannelSelected(device, channel, toggleChart(device, channel, container, handleError)),
    onDeviceRemoved: closeChartsOf,
  });
  onChartClosed((device, channel) => setChannelSelected(device, channel, false));
  mountAlarms(
    { section: $('alarms'), list: $('alarm-list'), count: $('alarm-count'), recentBody: $('recent-body') },
    { unitOf: channelUnit, onAuthLost: handleError, onChange: onAlarmsChanged },
  );
  mountInspector($('inspector'), { onAuthLost: handleError });
  $('login-form').addEventListener('submit', (event) => void login(event));
  $('logout').addEventListener('click', () => void logout());
  setInterval(() => {
    paintOverview();
    paintAges();
    paintAlarmAges();
  }, 1000);
  void start();
}

void main();
