// Audit tab (issue 15 §4), for admins (their organization) and the owner (every one):
// GET /v1/audit?action&actor&before&limit → { entries: [{ id, at, actor, userId, orgId, action, target, details }], next }.
import { api, describeError } from './api.js';
import { el, setChildren, setStatus, table } from './dom.js';
import { fmtTime } from './format.js';

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

export function auditTab(root) {
  const status = el('p', { class: 'status', role: 'status' });
  const action = el(
    'select',
    { testid: 'audit-filter-action', 'aria-label': 'Action' },
    el('option', { value: '' }, 'All actions'),
    ACTIONS.map((a) => el('option', { value: a }, a)),
  );
  const actor = el('input', { type: 'search', testid: 'audit-filter-actor', placeholder: 'Who', 'aria-label': 'Who', maxlength: '128' });
  const body = el('div');
  const older = el('button', { type: 'button', class: 'secondary', testid: 'audit-older', hidden: true }, 'Older entries →');
  let next = null;
  let rows = [];

  root.append(
    el(
      'div',
      { class: 'toolbar' },
      el('h2', {}, 'Audit'),
      action,
      actor,
      el('button', { type: 'button', class: 'secondary', onclick: () => void refresh() }, 'Refresh'),
    ),
    status,
    body,
    older,
  );
  action.addEventListener('change', () => void refresh());
  actor.addEventListener('change', () => void refresh());
  older.addEventListener('click', () => void load(next));

  const columns = [
    { label: 'When', cell: (e) => fmtTime(e.at) },
    { label: 'Who', cell: (e) => e.actor },
    { label: 'Organization', cell: (e) => e.orgId ?? '—' },
    { label: 'Action', cell: (e) => e.action },
    { label: 'Target', cell: (e) => e.target ?? '—' },
    { label: 'What changed', cell: (e) => (Object.keys(e.details).length === 0 ? '—' : JSON.stringify(e.details)) },
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
          ? el('p', { testid: 'audit-empty' }, 'Nothing recorded yet.')
          : table(columns, rows, (e) => ({ testid: `audit-row-${e.id}`, 'data-action': e.action }), { testid: 'audit-table' }),
      );
      setStatus(status, `Updated ${fmtTime(Date.now())}.`);
    } catch (err) {
      setStatus(status, describeError(err), 'error');
    }
  }

  const refresh = () => load(null);
  return { show: refresh, refresh, autoRefresh: false };
}
