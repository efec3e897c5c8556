/**
 * Atalaya relay dashboard (served by cloud/dashboard/routes.ts at /dashboard/). Plain ES2020
 * modules, no build step, no framework, nothing loaded from another origin; the CSP forbids
 * inline scripts, and every piece of data is written with textContent (dom.js).
 *
 * data-testid attributes (browser tests rely on them; keep them stable):
 *   password-form, user-input, password-input, password-submit, password-message
 *                                                            sign-in with a user name and password (login.js)
 *   login-form, token-input, login-submit, login-message    sign-in with a token (login-message: why it failed)
 *   logout, whoami                                           sign-out button; who is signed in, as what
 *   lang-<tag>                                               the language switch (lang-es-CL, lang-en; aria-pressed)
 *   tab-gateways, tab-readings, tab-fleet, tab-alerts, tab-dga, tab-anchors, tab-sources, tab-audit
 *                                                            tabs (alerts/dga/anchors hidden when the API answers 404,
 *                                                            sources when the relay has none; each hidden without its
 *                                                            permission, from GET /v1/session)
 *   audit-table, audit-row-<id> (data-action), audit-empty, audit-older, audit-filter-action, audit-filter-actor
 *   gateway-row-<id>                                         a gateway (data-stale="true" when not seen for > 10 min)
 *   td[data-col=<column key>]                                a table cell, by its column's key (data-label is its translated name)
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
 *   source-row-<id> (data-failing), source-problem-<id>-<reason>
 */

import { alertsTab } from './alerts.js';
import { anchorsTab } from './anchors.js';
import { api, available, clearToken, describeError, HttpError, onUnauthorized, request, setToken, validToken } from './api.js';
import { auditTab } from './audit.js';
import { dgaTab } from './dga.js';
import { fleetTab } from './fleet.js';
import { utcOffsetLabel } from './format.js';
import { gatewaysTab } from './gateways.js';
import { initI18n, languageSwitch, t } from './i18n.js';
import { forgetSession, maybeSignedIn, signIn, signInMessage, signOut, whoami, whoNodes } from './login.js';
import { readingsTab } from './readings.js';
import { sourcesTab } from './sources.js';

/** The gateways, alerts and DGA views refresh on their own this often while shown, ms. */
const REFRESH_MS = 30_000;

const $ = (id) => document.getElementById(id);
const loginSection = $('login');
const loginForm = $('login-form');
const tokenInput = $('token-input');
const loginMessage = $('login-message');
const appSection = $('app');
const logout = $('logout');
const passwordForm = $('password-form');
const passwordMessage = $('password-message');
const who = $('whoami');

/** The permission each tab needs (cloud/identity/permissions.ts). */
const TAB_PERMISSION = {
  gateways: 'gateways.read',
  readings: 'readings.read',
  alerts: 'alerts.read',
  dga: 'dga.read',
  anchors: 'anchor.read',
  fleet: 'fleet.read',
  sources: 'sources.read',
  audit: 'audit.read',
};

const features = { dga: false, anchors: false, alerts: false, sources: false };
let tabs = null;
let active = null;
let timer = null;

function showLogin(message = '') {
  clearInterval(timer);
  timer = null;
  appSection.hidden = true;
  logout.hidden = true;
  who.hidden = true;
  loginSection.hidden = false;
  loginMessage.textContent = message;
  tokenInput.value = '';
  $('password-input').value = '';
  $('user-input').focus();
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
    sources: sourcesTab($('panel-sources'), ctx),
    audit: auditTab($('panel-audit'), ctx),
  };
  for (const button of document.querySelectorAll('[role="tab"]')) {
    button.addEventListener('click', () => void select(button.dataset.tab).show());
  }
  $('footer').textContent = t('app.footer', { offset: utcOffsetLabel() });
}

async function enterApp() {
  const session = await whoami();
  const permitted = new Set(session.permissions);
  document.body.dataset.permissions = session.permissions.join(' ');
  who.replaceChildren(...whoNodes(session));
  // Alerts, DGA and anchoring are optional on a relay: their routes answer 404 when disabled.
  const [dga, anchors, alerts] = await Promise.all([available('v1/dga'), available('v1/anchors', { limit: 1 }), available('v1/alerts', { limit: 1 })]);
  features.dga = dga;
  features.anchors = anchors;
  features.alerts = alerts;
  // Provider sources (issue 17): the tab only on a relay that has some, for who may read them.
  features.sources = permitted.has('sources.read')
    ? await api('v1/sources')
        .then((b) => b.sources.length > 0)
        .catch(() => false)
    : false;
  for (const [tab, permission] of Object.entries(TAB_PERMISSION)) {
    const on = permitted.has(permission) && (tab in features ? features[tab] : true);
    $(`tab-${tab}`).hidden = !on;
  }
  if (tabs === null) buildTabs();
  loginSection.hidden = true;
  appSection.hidden = false;
  logout.hidden = false;
  // Last: the tests (and a person) may take it as "the page is set for this role".
  who.hidden = false;
  await select(location.hash.slice(1)).show();
  clearInterval(timer);
  timer = setInterval(() => {
    const tab = tabs[active];
    if (document.visibilityState === 'visible' && tab.autoRefresh) void tab.refresh();
  }, REFRESH_MS);
}

const unauthorized = (err) => err instanceof HttpError && err.status === 401;

onUnauthorized(() => {
  forgetSession();
  showLogin(t('login.refused'));
});

passwordForm.addEventListener('submit', async (event) => {
  event.preventDefault();
  const name = $('user-input').value.trim();
  const password = $('password-input').value;
  if (name === '' || password === '') {
    passwordMessage.textContent = t('login.enterBoth');
    return;
  }
  passwordMessage.textContent = t('login.checking');
  try {
    await signIn(name, password);
    passwordMessage.textContent = '';
    await enterApp();
  } catch (err) {
    passwordMessage.textContent = signInMessage(err);
  }
});

loginForm.addEventListener('submit', async (event) => {
  event.preventDefault();
  const token = tokenInput.value.trim();
  if (!validToken(token)) {
    loginMessage.textContent = t('login.invalid');
    return;
  }
  setToken(token);
  loginMessage.textContent = t('login.checking');
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

logout.addEventListener('click', async () => {
  await signOut().catch(() => undefined);
  showLogin(t('login.signedOut'));
});

async function main() {
  // The catalogues first: every text below is written in the chosen language.
  await initI18n();
  $('lang-switch').replaceWith(languageSwitch());

  // A stored token, or a session cookie from before a reload: GET /v1/session says who (401: neither).
  if (!maybeSignedIn()) showLogin();
  else {
    enterApp().catch((err) => {
      if (!unauthorized(err)) showLogin(describeError(err));
    });
  }
}

void main();
