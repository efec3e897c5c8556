// Audit tab (issue 15 §4), for admins (their organization) and the owner (every one):
// GET /v1/audit?action&actor&before&limit → { entries: [{ id, at, actor, userId, orgId, action, target, details }], next }.
import { api, describeError } from './api.js';
import { el, setChildren, setStatus, table, wire } from './dom.js';
import { fmtTime } from './format.js';
import { t } from './i18n.js';
import { toolbar } from './toolbar.js';

const PAGE = 50;
const ACTIONS = [
  'alert.ack',
  'dga.review',
  'dga.retry',
  'dga.credentials',
  'gateway.provision',
  'anchor.manual',
  'user.add',
  'user.passwd',
  'user.disable',
  'user.enable',
  'user.locked',
  'token.add',
  'token.revoke',
  'session.login',
];

/** Audit actions are wire values (cloud/identity/audit.ts): each shown by its label, an unknown one as it came. */
function actionLabels() {
  return {
    'alert.ack': t('audit.action.alertAck'),
    'dga.review': t('audit.action.dgaReview'),
    'dga.retry': t('audit.action.dgaRetry'),
    'dga.credentials': t('audit.action.dgaCredentials'),
    'gateway.provision': t('audit.action.gatewayProvision'),
    'anchor.manual': t('audit.action.anchorManual'),
    'user.add': t('audit.action.userAdd'),
    'user.passwd': t('audit.action.userPasswd'),
    'user.disable': t('audit.action.userDisable'),
    'user.enable': t('audit.action.userEnable'),
    'user.locked': t('audit.action.userLocked'),
    'token.add': t('audit.action.tokenAdd'),
    'token.revoke': t('audit.action.tokenRevoke'),
    'session.login': t('audit.action.sessionLogin'),
  };
}

export function auditTab(root) {
  const labels = actionLabels();
  const label = (a) => labels[a] ?? wire(a);
  const status = el('p', { class: 'status', role: 'status' });
  const action = el(
    'select',
    { testid: 'audit-filter-action', 'aria-label': t('audit.col.action') },
    el('option', { value: '' }, t('audit.allActions')),
    ACTIONS.map((a) => el('option', { value: a }, labels[a])),
  );
  const actor = el('input', {
    type: 'search',
    testid: 'audit-filter-actor',
    placeholder: t('audit.col.who'),
    'aria-label': t('audit.col.who'),
    maxlength: '128',
  });
  const body = el('div');
  const older = el('button', { type: 'button', class: 'secondary', testid: 'audit-older', hidden: true }, t('audit.older'));
  let next = null;
  let rows = [];

  root.append(
    toolbar(t('audit.heading'), () => refresh(), action, actor),
    status,
    body,
    older,
  );
  action.addEventListener('change', () => void refresh());
  actor.addEventListener('change', () => void refresh());
  older.addEventListener('click', () => void load(next));

  // Who, organization, target and details are data (names, ids, the API's own field names).
  const columns = [
    { key: 'when', label: t('audit.col.when'), cell: (e) => fmtTime(e.at) },
    { key: 'who', label: t('audit.col.who'), cell: (e) => wire(e.actor) },
    { key: 'org', label: t('audit.col.org'), cell: (e) => (e.orgId === null ? '—' : wire(e.orgId)) },
    { key: 'action', label: t('audit.col.action'), cell: (e) => label(e.action) },
    { key: 'target', label: t('audit.col.target'), cell: (e) => (e.target === null ? '—' : wire(e.target)) },
    {
      key: 'details',
      label: t('audit.col.details'),
      class: 'wrap',
      cell: (e) => (Object.keys(e.details).length === 0 ? '—' : wire(JSON.stringify(e.details))),
    },
  ];

  async function load(before) {
    try {
      const page = await api('v1/audit', { limit: PAGE, action: action.value, actor: actor.value.trim(), before });
      rows = before === null ? page.entries : [...rows, ...page.entries];
      next = page.next;
      older.hidden = next === null;
      setChildren(
        body,
        rows.length === 0
          ? el('p', { testid: 'audit-empty' }, t('audit.empty'))
          : table(columns, rows, (e) => ({ testid: `audit-row-${e.id}`, 'data-action': e.action }), { testid: 'audit-table', class: 'cards' }),
      );
      setStatus(status, t('common.updated', { time: fmtTime(Date.now()) }));
    } catch (err) {
      setStatus(status, describeError(err), 'error');
    }
  }

  const refresh = () => load(null);
  return { show: refresh, refresh, autoRefresh: false };
}
