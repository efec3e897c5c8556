// Alerts tab (issue 13 §6): GET /v1/alerts?state&limit&before → { alerts: AlertView[], next },
// GET /v1/alerts/<id> → { alert, messages, deliveries }, POST /v1/alerts/<id>/ack → { result, alert }
// (cloud/http/alerts-routes.ts, cloud/alerts/README.md). Open alerts come first, alarms before
// warnings; the detail lists every message with its attempts and every delivery step.
import { api, describeError, post } from './api.js';
import { el, facts, setChildren, setStatus, table, wire } from './dom.js';
import { fmtTime } from './format.js';
import { t } from './i18n.js';
import { toolbar } from './toolbar.js';

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

/** Labels of the alerts API's wire values (severity, outbox and delivery states, kinds). */
const severityLabel = (s) => ({ alarm: t('alerts.severity.alarm'), warning: t('alerts.severity.warning'), info: t('alerts.severity.info') })[s] ?? s;
const outcomeLabel = (s) =>
  ({
    sent: t('alerts.outcome.sent'),
    failed: t('alerts.outcome.failed'),
    given_up: t('alerts.outcome.given_up'),
    cancelled: t('alerts.outcome.cancelled'),
    held: t('alerts.outcome.held'),
    digested: t('alerts.outcome.digested'),
    queued: t('alerts.outcome.queued'),
    sending: t('alerts.outcome.sending'),
  })[s] ?? s.replace('_', ' ');
const kindLabel = (k) =>
  ({
    alarm: t('alerts.kind.alarm'),
    gateway_silent: t('alerts.kind.gateway_silent'),
    device_fault: t('alerts.kind.device_fault'),
    integrity: t('alerts.kind.integrity'),
    dga_failed: t('alerts.kind.dga_failed'),
    dga_stopped: t('alerts.kind.dga_stopped'),
    dga_late: t('alerts.kind.dga_late'),
    anchor_unconfirmed: t('alerts.kind.anchor_unconfirmed'),
    anchor_errors: t('alerts.kind.anchor_errors'),
    anchor_reorg: t('alerts.kind.anchor_reorg'),
  })[k] ?? k;

/** cloud/store/alerts-types.ts MESSAGE_KINDS. */
const messageKindLabel = (k) =>
  ({
    opened: t('alerts.messageKind.opened'),
    reminder: t('alerts.messageKind.reminder'),
    escalation: t('alerts.messageKind.escalation'),
    closed: t('alerts.messageKind.closed'),
    digest: t('alerts.messageKind.digest'),
    test: t('alerts.messageKind.test'),
  })[k] ?? k;

const severity = (a) => el('span', { class: SEVERITY_CLASS[a.severity] ?? 'badge' }, severityLabel(a.severity));
const subject = (a) => [a.gateway, a.device, a.channel].filter((p) => p !== null).join(' / ') || (a.obra === null ? '—' : t('alerts.obra', { obra: a.obra }));

function stateBadge(a) {
  if (a.state === 'closed') return el('span', { class: 'badge ok' }, t('alerts.state.closed'));
  if (a.ackedAt !== null)
    return el('span', { class: 'badge', title: t('alerts.ackedTitle', { who: a.ackedBy ?? '?', time: fmtTime(a.ackedAt) }) }, t('alerts.state.openAcked'));
  return el('span', { class: 'badge alarm' }, t('alerts.state.open'));
}

/** "sent 2 · queued 1" from the counts per outbox state; given up and failed stand out. */
function deliveriesCell(a) {
  const entries = Object.entries(a.deliveries ?? {}).filter(([, n]) => n > 0);
  if (entries.length === 0) return '—';
  const bad = entries.some(([state]) => state === 'given_up' || state === 'failed');
  return el('span', { class: bad ? 'warn-text' : undefined }, entries.map(([state, n]) => `${outcomeLabel(state)} ${n}`).join(' · '));
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
    { testid: 'alerts-filter', 'aria-label': t('alerts.which') },
    el('option', { value: 'open' }, t('alerts.filter.open')),
    el('option', { value: 'closed' }, t('alerts.filter.closed')),
    el('option', { value: 'all' }, t('alerts.filter.all')),
  );
  const listBox = el('div');
  const more = el('button', { type: 'button', class: 'secondary', testid: 'alerts-older', hidden: true }, t('alerts.older'));
  const detail = el('div', { class: 'detail', testid: 'alert-detail', hidden: true });
  root.append(
    toolbar(t('alerts.heading'), () => refresh(), filter),
    status,
    listBox,
    el('div', { class: 'pager' }, more),
    detail,
  );
  let shown = [];
  let openId = null;

  async function acknowledge(id, button, line) {
    button.disabled = true;
    setStatus(line, t('alerts.acknowledging'));
    try {
      const { result } = await post(`v1/alerts/${encodeURIComponent(id)}/ack`, {});
      setStatus(line, result === 'already' ? t('alerts.already') : t('alerts.acked'), 'ok');
      await Promise.all([openDetail(id, false), refresh()]);
    } catch (err) {
      button.disabled = false;
      setStatus(line, describeError(err), 'error');
    }
  }

  async function openDetail(id, scroll = true) {
    openId = id;
    detail.hidden = false;
    if (scroll) setChildren(detail, el('p', { class: 'status' }, t('alerts.loadingOne')));
    if (scroll) detail.scrollIntoView({ block: 'nearest' });
    try {
      const { alert: a, messages, deliveries } = await api(`v1/alerts/${encodeURIComponent(id)}`);
      const line = el('p', { class: 'status', role: 'status', testid: 'alert-ack-status' });
      const ackable = a.state === 'open' && a.ackedAt === null;
      const ack = el('button', { type: 'button', testid: 'alert-ack', hidden: !ackable }, t('alerts.acknowledge'));
      ack.addEventListener('click', () => void acknowledge(a.id, ack, line));
      const factsList = Object.entries(a.facts ?? {})
        .map(([k, v]) => `${k}: ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
        .join(' · ');
      setChildren(
        detail,
        el(
          'div',
          { class: 'toolbar' },
          el('h3', {}, wire(a.title)),
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
            t('common.close'),
          ),
        ),
        facts([
          [t('alerts.fact.id'), el('code', { class: 'break', translate: 'no' }, a.id)],
          [t('alerts.fact.kindSeverity'), [kindLabel(a.kind), ' ', severity(a)]],
          [t('alerts.fact.subject'), subject(a)],
          [t('alerts.fact.state'), el('span', { testid: 'alert-state' }, stateBadge(a))],
          [t('alerts.fact.opened'), fmtTime(a.openedAt)],
          [t('alerts.fact.closed'), a.closedAt === null ? '—' : fmtTime(a.closedAt)],
          [t('alerts.fact.acknowledged'), a.ackedAt === null ? '—' : t('alerts.ackedBy', { time: fmtTime(a.ackedAt), who: a.ackedBy ?? '?' })],
          [t('alerts.fact.facts'), factsList === '' ? '—' : wire(factsList)],
        ]),
        el('div', { class: 'toolbar' }, ack),
        line,
        el('h4', {}, t('alerts.messages')),
        messages.length === 0
          ? el('p', { class: 'hint' }, t('alerts.noRule'))
          : table(
              [
                { key: 'channel', label: t('alerts.col.channel'), cell: (m) => m.channel },
                { key: 'recipient', label: t('alerts.col.recipient'), cell: (m) => `${m.group}/${m.recipient}` },
                { key: 'address', label: t('alerts.col.address'), class: 'wrap', cell: (m) => m.address },
                { key: 'message', label: t('alerts.col.message'), cell: (m) => messageKindLabel(m.messageKind) },
                { key: 'state', label: t('alerts.col.state'), cell: (m) => el('span', { class: OUTCOME_CLASS[m.state] ?? 'badge' }, outcomeLabel(m.state)) },
                { key: 'attempts', label: t('alerts.col.attempts'), class: 'num', cell: (m) => String(m.attempts) },
                { key: 'sent', label: t('alerts.col.sent'), cell: (m) => (m.sentAt === null ? '—' : fmtTime(m.sentAt)) },
                {
                  key: 'lastError',
                  label: t('alerts.col.lastError'),
                  class: 'wrap',
                  cell: (m) => (m.lastCode === null ? '' : wire(`${m.lastCode}${m.lastDetail === null ? '' : `: ${m.lastDetail}`}`)),
                },
              ],
              messages,
              (m) => ({ testid: `alert-message-${m.id}`, 'data-state': m.state }),
              { class: 'cards', testid: 'alert-messages' },
            ),
        el('h4', {}, t('alerts.log')),
        deliveries.length === 0
          ? el('p', { class: 'hint' }, t('alerts.nothingYet'))
          : table(
              [
                { key: 'time', label: t('alerts.col.time'), cell: (d) => fmtTime(d.at) },
                { key: 'message', label: t('alerts.col.message'), class: 'num', cell: (d) => String(d.outboxId) },
                {
                  key: 'outcome',
                  label: t('alerts.col.outcome'),
                  cell: (d) => el('span', { class: OUTCOME_CLASS[d.outcome] ?? 'badge' }, outcomeLabel(d.outcome)),
                },
                {
                  key: 'attempt',
                  label: t('alerts.col.attempt'),
                  class: 'num',
                  cell: (d) => (d.attempt === null || d.attempt === undefined ? '' : String(d.attempt)),
                },
                {
                  key: 'code',
                  label: t('alerts.col.code'),
                  cell: (d) => (d.code === null || d.code === undefined ? '' : el('code', { translate: 'no' }, d.code)),
                },
                { key: 'detail', label: t('alerts.col.detail'), class: 'wrap', cell: (d) => wire(d.detail) },
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
      setChildren(listBox, el('p', { class: 'hint', testid: 'alerts-empty' }, filter.value === 'open' ? t('alerts.noOpen') : t('alerts.none')));
      return;
    }
    setChildren(
      listBox,
      table(
        [
          { key: 'severity', label: t('alerts.col.severity'), cell: severity },
          { key: 'kind', label: t('alerts.col.kind'), cell: (a) => kindLabel(a.kind) },
          { key: 'subject', label: t('alerts.col.subject'), cell: subject },
          { key: 'alert', label: t('alerts.col.alert'), class: 'wrap', cell: (a) => wire(a.title) },
          { key: 'opened', label: t('alerts.col.opened'), cell: (a) => fmtTime(a.openedAt) },
          { key: 'state', label: t('alerts.col.state'), cell: stateBadge },
          { key: 'deliveries', label: t('alerts.col.deliveries'), cell: deliveriesCell },
        ],
        ordered(alerts),
        (a) => ({
          testid: `alert-row-${a.id}`,
          'data-state': a.state,
          'data-acked': a.ackedAt === null ? 'false' : 'true',
          class: a.state === 'open' && a.ackedAt === null ? 'clickable stale' : 'clickable',
          tabindex: 0,
          title: t('alerts.showMessages'),
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
      setStatus(status, t('common.updated', { time: fmtTime(Date.now()) }));
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
