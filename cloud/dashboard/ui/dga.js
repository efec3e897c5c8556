// DGA tab: GET /v1/dga → { obras: DgaObraStatus[] }, GET /v1/dga/<obra> → DgaObraDetail
// (cloud/dga/status.ts). Every transmission failure stays visible (Res. 2.170 §6.3): late slots,
// refusals with DGA's message, missing slots with their reason, an obra stopped for a person.
import { api, describeError } from './api.js';
import { reviewSection } from './dga-review.js';
import { el, facts, linkButton, setChildren, setStatus, table } from './dom.js';
import { fmtInt, fmtIso, fmtSlot } from './format.js';
import { volumesView } from './volumes.js';

const PROBLEMS = [
  ['review', 'in review'],
  ['rejected', 'rejected'],
  ['failed', 'failed'],
  ['needs-attention', 'needs attention'],
  ['missing', 'missing'],
];

const queued = (o) => (o.counts.pending ?? 0) + (o.counts.sending ?? 0);
const troubled = (o) => o.stopped !== null || !o.credentials || o.lateUnsent > 0 || o.problems.length > 0;

function stateCell(o) {
  if (o.stopped !== null) return el('span', { class: 'badge alarm', title: o.stopped.reason }, `stopped ${fmtIso(o.stopped.at)}: ${o.stopped.reason}`);
  if (!o.credentials) return el('span', { class: 'badge warn' }, 'no credentials');
  return el('span', { class: 'badge ok' }, 'active');
}

function problemsCell(o) {
  const parts = PROBLEMS.filter(([state]) => (o.counts[state] ?? 0) > 0).map(([state, label]) => `${label} ${o.counts[state]}`);
  return parts.length === 0 ? '—' : el('span', { class: 'warn-text' }, parts.join(' · '));
}

function slotTable(slots, testid) {
  return table(
    [
      { label: 'Slot (UTC−4)', cell: (s) => el('span', { title: s.slot }, fmtSlot(s.slot)) },
      // An irregular receipt: accepted (never resent) but for a person to check.
      {
        label: 'State',
        cell: (s) =>
          el(
            'span',
            { class: s.state === 'accepted' && !s.receiptIrregular ? 'badge ok' : s.state === 'pending' || s.state === 'sending' ? 'badge' : 'badge warn' },
            s.receiptIrregular ? 'accepted, irregular receipt' : s.state,
          ),
      },
      { label: 'Late', cell: (s) => (s.late ? el('span', { class: 'warn-text' }, 'late') : '') },
      { label: 'Attempts', class: 'num', cell: (s) => String(s.attempts) },
      { label: 'Reason / DGA message', class: 'wrap', cell: (s) => s.reason ?? s.lastOutcome ?? '' },
      { label: 'HTTP', class: 'num', cell: (s) => (s.httpStatus === null ? '' : String(s.httpStatus)) },
      { label: 'Next attempt', cell: (s) => (s.nextAttemptAt === null ? '' : fmtIso(s.nextAttemptAt)) },
      { label: 'Receipt', cell: (s) => s.receipt ?? '' },
      { label: 'Verification', cell: (s) => s.verification ?? '' },
    ],
    slots,
    () => ({}),
    { testid, class: 'cards' },
  );
}

export function dgaTab(root) {
  const status = el('p', { class: 'status', role: 'status' });
  const body = el('div');
  const detail = el('div', { class: 'detail', testid: 'dga-detail', hidden: true });
  const review = reviewSection(() => void refresh());
  root.append(
    el(
      'div',
      { class: 'toolbar' },
      el('h2', {}, 'DGA reporting'),
      el('button', { type: 'button', class: 'secondary', onclick: () => void refresh() }, 'Refresh'),
    ),
    el('p', { class: 'hint' }, "Slots are named on DGA's fixed UTC−4 clock; other times are local."),
    status,
    body,
    review.section,
    detail,
  );

  async function openDetail(obra) {
    detail.hidden = false;
    setChildren(detail, el('p', { class: 'status' }, `Loading ${obra}…`));
    detail.scrollIntoView({ block: 'nearest' });
    try {
      const d = await api(`v1/dga/${encodeURIComponent(obra)}`);
      setChildren(
        detail,
        el(
          'div',
          { class: 'toolbar' },
          el('h3', {}, `Obra ${d.obra}`),
          el(
            'button',
            {
              type: 'button',
              class: 'secondary',
              onclick: () => {
                detail.hidden = true;
              },
            },
            'Close',
          ),
        ),
        facts([
          ['Kind / standard', `${d.kind} / ${d.standard}`],
          ['Interface', d.interface],
          ['Source', `${d.gateway} / ${d.device}`],
          ['Derived through (UTC−4)', fmtSlot(d.derivedThrough)],
          [
            'Last accepted (UTC−4)',
            d.lastAccepted === null
              ? '—'
              : `${fmtSlot(d.lastAccepted.slot)} (receipt ${d.lastAccepted.receipt ?? 'none'}, at ${fmtIso(d.lastAccepted.acceptedAt)})`,
          ],
          ['Next due', fmtIso(d.nextDueAt)],
        ]),
        el('h4', {}, 'Latest slots'),
        d.recent.length === 0 ? el('p', { class: 'hint' }, 'No slot derived yet.') : slotTable(d.recent, 'dga-recent'),
        volumesView(d.obra),
      );
    } catch (err) {
      setChildren(detail, el('p', { class: 'status error' }, describeError(err)));
    }
  }

  function render(obras) {
    if (obras.length === 0) {
      setChildren(body, el('p', { class: 'hint' }, 'No obra configured (dga.obras in relay.yaml).'));
      return;
    }
    const columns = [
      { label: 'Obra', cell: (o) => linkButton(o.obra, () => void openDetail(o.obra), { title: 'Latest slots' }) },
      { label: 'Source', cell: (o) => `${o.gateway} / ${o.device}` },
      {
        label: 'Last accepted (UTC−4)',
        cell: (o) =>
          o.lastAccepted === null
            ? '—'
            : [fmtSlot(o.lastAccepted.slot), o.lastAccepted.receipt === null ? null : el('div', { class: 'hint' }, `receipt ${o.lastAccepted.receipt}`)],
      },
      { label: 'Queued', class: 'num', cell: (o) => fmtInt(queued(o)) },
      {
        label: 'Late',
        class: 'num',
        cell: (o) => (o.lateUnsent > 0 ? el('span', { class: 'warn-text', title: 'past the one-hour send window, not accepted' }, fmtInt(o.lateUnsent)) : '0'),
      },
      { label: 'Accepted late', class: 'num', cell: (o) => fmtInt(o.acceptedLate) },
      { label: 'Refused / missing', cell: problemsCell },
      { label: 'Next due', cell: (o) => fmtIso(o.nextDueAt) },
      { label: 'State', cell: stateCell },
    ];
    const problemLists = obras
      .filter((o) => o.problems.length > 0)
      .map((o) => [el('h3', {}, `Problems of ${o.obra}`), slotTable(o.problems, `dga-problems-${o.obra}`)]);
    setChildren(
      body,
      table(columns, obras, (o) => ({ testid: `dga-row-${o.obra}`, class: troubled(o) ? 'stale' : undefined }), { class: 'cards' }),
      problemLists,
    );
  }

  async function refresh() {
    try {
      const { obras } = await api('v1/dga');
      render(obras);
      setStatus(status, '');
      await review.refresh();
    } catch (err) {
      setStatus(status, describeError(err), 'error');
    }
  }

  return { show: refresh, refresh, autoRefresh: true };
}
