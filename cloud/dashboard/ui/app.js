/**
 * Atalaya relay dashboard (served by cloud/dashboard/routes.ts at /dashboard/). Plain ES2020
 * modules, no build step, no framework, nothing loaded from another origin; the CSP forbids
 * inline scripts, and every piece of data is written with textContent (dom.js).
 *
 * data-testid attributes (browser tests rely on them; keep them stable):
 *   login-form, token-input, login-submit, login-message    sign-in (login-message: why it failed)
 *   logout                                                   sign-out button
 *   tab-gateways, tab-readings, tab-alerts, tab-dga, tab-anchors
 *                                                            tabs (alerts/dga/anchors hidden when the API answers 404)
 *   gateway-row-<id>                                         a gateway (data-stale="true" when not seen for > 10 min)
 *   readings-filters, filter-gateway, filter-device, filter-channel, filter-kind,
 *   filter-from, filter-to, filter-limit, readings-query     the readings query form
 *   readings-table, reading-row-<gateway>-<seq>              the readings page
 *   readings-prev, readings-next, readings-chart             paging; the uPlot chart (a channel is set)
 *   proof-<gateway>-<seq>                                    proof download of one record (anchoring on)
 *   dga-row-<obra>, dga-problems-<obra>, dga-detail, dga-recent
 *   dga-volumes, volumes-from, volumes-to, volumes-granularity, volumes-query, volumes-chart,
 *   volumes-table, volumes-row-<period>, volumes-csv, evidence-download
 *   anchor-row-<id>, anchor-detail, anchor-tx-<id>, anchor-errors, anchor-error-<id>,
 *   anchors-older, anchors-newest
 *   alerts-filter, alerts-table, alerts-empty, alerts-older,
 *   alert-row-<id> (data-state open|closed, data-acked), alert-detail, alert-state, alert-ack,
 *   alert-ack-status, alert-messages, alert-message-<outbox id> (data-state), alert-deliveries
 *   tab-fleet, fleet-summary, fleet-row-<id> (data-online true|false), fleet-open-<id>,
 *   fleet-detail, fleet-chart                                the Fleet tab (issue 16)
 */

import { alertsTab } from './alerts.js';
import { anchorsTab } from './anchors.js';
import { available, clearToken, describeError, getToken, HttpError, onUnauthorized, request, setToken, validToken } from './api.js';
import { dgaTab } from './dga.js';
import { fleetTab } from './fleet.js';
import { utcOffsetLabel } from './format.js';
import { gatewaysTab } from './gateways.js';
import { readingsTab } from './readings.js';

/** The gateways, alerts and DGA views refresh on their own this often while shown, ms. */
const REFRESH_MS = 30_000;

const $ = (id) => document.getElementById(id);
const loginSection = $('login');
const loginForm = $('login-form');
const tokenInput = $('token-input');
const loginMessage = $('login-message');
const appSection = $('app');
const logout = $('logout');

const features = { dga: false, anchors: false, alerts: false };
let tabs = null;
let active = null;
let timer = null;

function showLogin(message = '') {
  clearInterval(timer);
  timer = null;
  appSection.hidden = true;
  logout.hidden = true;
  loginSection.hidden = false;
  loginMessage.textContent = message;
  tokenInput.value = '';
  tokenInput.focus();
}

function select(name) {
  if (tabs === null || !(name in tabs) || $(`tab-${name}`).hidden) name = 'gateways';
  active = name;
  for (const button of document.querySelectorAll('[role="tab"]')) {
    const on = button.dataset.tab === name;
    button.setAttribute('aria-selected', String(on));
    button.tabIndex = on ? 0 : -1;
    $(`panel-${button.dataset.tab}`).hidden = !on;
  }
  if (location.hash !== `#${name}`) history.replaceState(null, '', `#${name}`);
  return tabs[name];
}

function buildTabs() {
  const ctx = {
    features,
    openReadings: (filters) => void select('readings').preset(filters),
  };
  tabs = {
    gateways: gatewaysTab($('panel-gateways'), ctx),
    readings: readingsTab($('panel-readings'), ctx),
    fleet: fleetTab($('panel-fleet'), ctx),
    alerts: alertsTab($('panel-alerts'), ctx),
    dga: dgaTab($('panel-dga'), ctx),
    anchors: anchorsTab($('panel-anchors'), ctx),
  };
  for (const button of document.querySelectorAll('[role="tab"]')) {
    button.addEventListener('click', () => void select(button.dataset.tab).show());
  }
  $('footer').textContent = `Times in this browser's time zone (${utcOffsetLabel()}) unless marked UTC−4.`;
}

async function enterApp() {
  // Alerts, DGA and anchoring are optional on a relay: their routes answer 404 when disabled.
  const [dga, anchors, alerts] = await Promise.all([available('v1/dga'), available('v1/anchors', { limit: 1 }), available('v1/alerts', { limit: 1 })]);
  features.dga = dga;
  features.anchors = anchors;
  features.alerts = alerts;
  $('tab-alerts').hidden = !alerts;
  $('tab-dga').hidden = !dga;
  $('tab-anchors').hidden = !anchors;
  if (tabs === null) buildTabs();
  loginSection.hidden = true;
  appSection.hidden = false;
  logout.hidden = false;
  await select(location.hash.slice(1)).show();
  clearInterval(timer);
  timer = setInterval(() => {
    const tab = tabs[active];
    if (document.visibilityState === 'visible' && tab.autoRefresh) void tab.refresh();
  }, REFRESH_MS);
}

const unauthorized = (err) => err instanceof HttpError && err.status === 401;

onUnauthorized(() => showLogin('The relay refused this token: sign in again.'));

loginForm.addEventListener('submit', async (event) => {
  event.preventDefault();
  const token = tokenInput.value.trim();
  if (!validToken(token)) {
    loginMessage.textContent = 'A token is 1 to 512 printable ASCII characters, no spaces.';
    return;
  }
  setToken(token);
  loginMessage.textContent = 'Checking…';
  try {
    await request('v1/gateways');
    loginMessage.textContent = '';
    await enterApp();
  } catch (err) {
    // A 401 has already brought the form back with its message.
    if (!unauthorized(err)) {
      clearToken();
      loginMessage.textContent = describeError(err);
    }
  }
});

logout.addEventListener('click', () => {
  clearToken();
  showLogin('Signed out.');
});

if (getToken() === null) showLogin();
else {
  enterApp().catch((err) => {
    if (!unauthorized(err)) showLogin(describeError(err));
  });
}
