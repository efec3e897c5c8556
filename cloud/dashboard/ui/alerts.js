// Alerts tab (issue 13 §6): GET /v1/alerts?state&limit&before → { alerts: AlertView[], next },
// GET /v1/alerts/<id> → { alert, messages, deliveries }, POST /v1/alerts/<id>/ack → { result, alert }
// (cloud/http/alerts-routes.ts, cloud/alerts/README.md). Open alerts come first, alarms before
// warnings; the detail lists every message with its attempts and every delivery step.
import { api, describeError, post } from './api.js';
import { el, facts, setChildren, setStatus, table } from './dom.js';
import { fmtTime } from './format.js';

const PAGE = 100;
const SEVERITY_CLASS = { alarm: 'badge alarm', warning: 'badge warn', info: 'badge' };
const SEVERITY_RANK = { alarm: 0, warning: 1, info: 2 };
const OUTCOME_CLASS = {
  sent: 'badge ok',
  failed: 'badge warn',
  given_up: 'badge alarm',
  cancelled: 'badge',
  held: 'badge warn',
  digested: 'badge',
  queued: 'badge',
  sending: 'badge',
};

const severity = (a) => el('span', { class: SEVERITY_CLASS[a.severity] ?? 'badge' }, a.severity);
const subject = (a) => [a.gateway, a.device, a.channel].filter((p) => p !== null).join(' / ') || (a.obra === null ? '—' : `obra ${a.obra}`);

function stateBadge(a) {
  if (a.state === 'closed') return el('span', { class: 'badge ok' }, 'closed');
  if (a.ackedAt !== null) return el('span', { class: 'badge', title: `by ${a.ackedBy ?? '?'} at ${fmtTime(a.ackedAt)}` }, 'open, acknowledged');
  return el('span', { class: 'badge alarm' }, 'open');
}

/** "sent 2 · queued 1" from the counts per outbox state; given up and failed stand out. */
function deliveriesCell(a) {
  const entries = Object.entries(a.deliveries ?? {}).filter(([, n]) => n > 0);
  if (entries.length === 0) return '—';
  const bad = entries.some(([state]) => state === 'given_up' || state === 'failed');
  return el('span', { class: bad ? 'warn-text' : undefined }, entries.map(([state, n]) => `${state.replace('_', ' ')} ${n}`).join(' · '));
}

/** Open ones first, then by severity, then newest first. */
function ordered(alerts) {
  return [...alerts].sort(
    (x, y) =>
      (x.state === y.state ? 0 : x.state === 'open' ? -1 : 1) || (SEVERITY_RANK[x.severity] ?? 3) - (SEVERITY_RANK[y.severity] ?? 3) || y.openedAt - x.openedAt,
  );
}

export function alertsTab(root) {
  const status = el('p', { class: 'status', role: 'status' });
  const filter = el(
    'select',
    { testid: 'alerts-filter', 'aria-label': 'Which alerts' },
    el('option', { value: 'open' }, 'Open'),
    el('option', { value: 'closed' }, 'Closed'),
    el('option', { value: 'all' }, 'All'),
  );
  const listBox = el('div');
  const more = el('button', { type: 'button', class: 'secondary', testid: 'alerts-older', hidden: true }, 'Older alerts →');
  const detail = el('div', { class: 'detail', testid: 'alert-detail', hidden: true });
  root.append(
    el(
      'div',
      { class: 'toolbar' },
      el('h2', {}, 'Alerts'),
      el('span', { class: 'toolbar' }, filter, el('button', { type: 'button', class: 'secondary', onclick: () => void refresh() }, 'Refresh')),
    ),
    status,
    listBox,
    el('div', { class: 'pager' }, more),
    detail,
  );
  let shown = [];
  let openId = null;

  async function acknowledge(id, button, line) {
    button.disabled = true;
    setStatus(line, 'Acknowledging…');
    try {
      const { result } = await post(`v1/alerts/${encodeURIComponent(id)}/ack`, {});
      setStatus(line, result === 'already' ? 'It was already acknowledged.' : 'Acknowledged.', 'ok');
      await Promise.all([openDetail(id, false), refresh()]);
    } catch (err) {
      button.disabled = false;
      setStatus(line, describeError(err), 'error');
    }
  }

  async function openDetail(id, scroll = true) {
    openId = id;
    detail.hidden = false;
    if (scroll) setChildren(detail, el('p', { class: 'status' }, 'Loading the alert…'));
    if (scroll) detail.scrollIntoView({ block: 'nearest' });
    try {
      const { alert: a, messages, deliveries } = await api(`v1/alerts/${encodeURIComponent(id)}`);
      const line = el('p', { class: 'status', role: 'status', testid: 'alert-ack-status' });
      const ackable = a.state === 'open' && a.ackedAt === null;
      const ack = el('button', { type: 'button', testid: 'alert-ack', hidden: !ackable }, 'Acknowledge');
      ack.addEventListener('click', () => void acknowledge(a.id, ack, line));
      const factsList = Object.entries(a.facts ?? {})
        .map(([k, v]) => `${k}: ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
        .join(' · ');
      setChildren(
        detail,
        el(
          'div',
          { class: 'toolbar' },
          el('h3', {}, a.title),
          el(
            'button',
            {
              type: 'button',
              class: 'secondary',
              onclick: () => {
                detail.hidden = true;
                openId = null;
              },
            },
            'Close',
          ),
        ),
        facts([
          ['Id', el('code', { class: 'break' }, a.id)],
          ['Kind / severity', [a.kind, ' ', severity(a)]],
          ['Subject', subject(a)],
          ['State', el('span', { testid: 'alert-state' }, stateBadge(a))],
          ['Opened', fmtTime(a.openedAt)],
          ['Closed', a.closedAt === null ? '—' : fmtTime(a.closedAt)],
          ['Acknowledged', a.ackedAt === null ? '—' : `${fmtTime(a.ackedAt)} by ${a.ackedBy ?? '?'}`],
          ['Facts', factsList === '' ? '—' : factsList],
        ]),
        el('div', { class: 'toolbar' }, ack),
        line,
        el('h4', {}, 'Messages'),
        messages.length === 0
          ? el('p', { class: 'hint' }, 'No rule sends this alert to anyone.')
          : table(
              [
                { label: 'Channel', cell: (m) => m.channel },
                { label: 'Recipient', cell: (m) => `${m.group}/${m.recipient}` },
                { label: 'Address', class: 'wrap', cell: (m) => m.address },
                { label: 'Message', cell: (m) => m.messageKind },
                { label: 'State', cell: (m) => el('span', { class: OUTCOME_CLASS[m.state] ?? 'badge' }, m.state.replace('_', ' ')) },
                { label: 'Attempts', class: 'num', cell: (m) => String(m.attempts) },
                { label: 'Sent', cell: (m) => (m.sentAt === null ? '—' : fmtTime(m.sentAt)) },
                {
                  label: 'Last error',
                  class: 'wrap',
                  cell: (m) => (m.lastCode === null ? '' : `${m.lastCode}${m.lastDetail === null ? '' : `: ${m.lastDetail}`}`),
                },
              ],
              messages,
              (m) => ({ testid: `alert-message-${m.id}`, 'data-state': m.state }),
              { class: 'cards', testid: 'alert-messages' },
            ),
        el('h4', {}, 'Delivery log'),
        deliveries.length === 0
          ? el('p', { class: 'hint' }, 'Nothing yet.')
          : table(
              [
                { label: 'Time', cell: (d) => fmtTime(d.at) },
                { label: 'Message', class: 'num', cell: (d) => String(d.outboxId) },
                { label: 'Outcome', cell: (d) => el('span', { class: OUTCOME_CLASS[d.outcome] ?? 'badge' }, d.outcome.replace('_', ' ')) },
                { label: 'Attempt', class: 'num', cell: (d) => (d.attempt === null || d.attempt === undefined ? '' : String(d.attempt)) },
                { label: 'Code', cell: (d) => (d.code === null || d.code === undefined ? '' : el('code', {}, d.code)) },
                { label: 'Detail', class: 'wrap', cell: (d) => d.detail ?? '' },
              ],
              deliveries,
              () => ({}),
              { class: 'cards', testid: 'alert-deliveries' },
            ),
      );
    } catch (err) {
      setChildren(detail, el('p', { class: 'status error' }, describeError(err)));
    }
  }

  function render(alerts) {
    if (alerts.length === 0) {
      setChildren(listBox, el('p', { class: 'hint', testid: 'alerts-empty' }, filter.value === 'open' ? 'No open alert.' : 'No alert.'));
      return;
    }
    setChildren(
      listBox,
      table(
        [
          { label: 'Severity', cell: severity },
          { label: 'Kind', cell: (a) => a.kind },
          { label: 'Subject', cell: subject },
          { label: 'Alert', class: 'wrap', cell: (a) => a.title },
          { label: 'Opened', cell: (a) => fmtTime(a.openedAt) },
          { label: 'State', cell: stateBadge },
          { label: 'Deliveries', cell: deliveriesCell },
        ],
        ordered(alerts),
        (a) => ({
          testid: `alert-row-${a.id}`,
          'data-state': a.state,
          'data-acked': a.ackedAt === null ? 'false' : 'true',
          class: a.state === 'open' && a.ackedAt === null ? 'clickable stale' : 'clickable',
          tabindex: 0,
          title: 'Show its messages',
          onclick: () => void openDetail(a.id),
          onkeydown: (e) => {
            if (e.key === 'Enter') void openDetail(a.id);
          },
        }),
        { class: 'cards', testid: 'alerts-table' },
      ),
    );
  }

  async function load(before) {
    const { alerts, next } = await api('v1/alerts', { state: filter.value, limit: PAGE, before });
    shown = before === undefined ? alerts : [...shown, ...alerts];
    render(shown);
    more.hidden = next === null || next === undefined;
    more.onclick = () => void load(next).catch((err) => setStatus(status, describeError(err), 'error'));
  }

  async function refresh() {
    try {
      await load(undefined);
      setStatus(status, `Updated ${fmtTime(Date.now())}.`);
    } catch (err) {
      setStatus(status, describeError(err), 'error');
    }
  }

  filter.addEventListener('change', () => void refresh());

  return {
    show: refresh,
    async refresh() {
      await refresh();
      if (openId !== null && !detail.hidden) await openDetail(openId, false);
    },
    autoRefresh: true,
  };
}
