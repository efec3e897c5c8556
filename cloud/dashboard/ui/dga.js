// DGA tab: GET /v1/dga → { obras: DgaObraStatus[] }, GET /v1/dga/<obra> → DgaObraDetail
// (cloud/dga/status.ts). Every transmission failure stays visible (Res. 2.170 §6.3): late slots,
// refusals with DGA's message, missing slots with their reason, an obra stopped for a person.
import { api, describeError } from './api.js';
import { reviewSection } from './dga-review.js';
import { el, facts, linkButton, setChildren, setStatus, table, wire } from './dom.js';
import { fmtInt, fmtIso, fmtSlot } from './format.js';
import { t } from './i18n.js';
import { toolbar } from './toolbar.js';
import { volumesView } from './volumes.js';

/** Submission states that need a person, in this order (cloud/store/dga-types.ts SUBMISSION_STATES). */
const PROBLEMS = ['review', 'rejected', 'failed', 'needs-attention', 'missing'];

/** Labels of the DGA API's submission states (the wire values stay as they are). */
export const stateLabel = (state) =>
  ({
    pending: t('dga.state.pending'),
    sending: t('dga.state.sending'),
    accepted: t('dga.state.accepted'),
    rejected: t('dga.state.rejected'),
    failed: t('dga.state.failed'),
    'needs-attention': t('dga.state.needs-attention'),
    missing: t('dga.state.missing'),
    review: t('dga.state.review'),
  })[state] ?? state;

/** Labels of a slot's last outcome (cloud/dga/sender.ts); an unknown code is shown as it came. */
const outcomeLabel = (outcome) =>
  ({
    accepted: t('dga.outcome.accepted'),
    'accepted-irregular': t('dga.outcome.accepted-irregular'),
    duplicate: t('dga.outcome.duplicate'),
    'not-informant': t('dga.outcome.not-informant'),
    rejected: t('dga.outcome.rejected'),
    invalid: t('dga.outcome.invalid'),
    interrupted: t('dga.outcome.interrupted'),
    unsendable: t('dga.outcome.unsendable'),
    'attempts-exhausted': t('dga.outcome.attempts-exhausted'),
  })[outcome];

const queued = (o) => (o.counts.pending ?? 0) + (o.counts.sending ?? 0);
const troubled = (o) => o.stopped !== null || !o.credentials || o.lateUnsent > 0 || o.problems.length > 0;

function stateCell(o) {
  if (o.stopped !== null)
    return el(
      'span',
      { class: 'badge alarm' },
      t('dga.stopped', { time: fmtIso(o.stopped.at) }),
      ' ',
      el('span', { translate: 'no', title: o.stopped.reason }, o.stopped.reason),
    );
  if (!o.credentials) return el('span', { class: 'badge warn' }, t('dga.noCredentials'));
  return el('span', { class: 'badge ok' }, t('dga.active'));
}

function problemsCell(o) {
  const parts = PROBLEMS.filter((state) => (o.counts[state] ?? 0) > 0).map((state) => `${stateLabel(state)} ${fmtInt(o.counts[state])}`);
  return parts.length === 0 ? '—' : el('span', { class: 'warn-text' }, parts.join(' · '));
}

function slotTable(slots, testid) {
  return table(
    [
      { key: 'slot', label: t('dga.col.slot'), cell: (s) => el('span', { title: s.slot }, fmtSlot(s.slot)) },
      // An irregular receipt: accepted (never resent) but for a person to check.
      {
        key: 'state',
        label: t('dga.col.state'),
        cell: (s) =>
          el(
            'span',
            { class: s.state === 'accepted' && !s.receiptIrregular ? 'badge ok' : s.state === 'pending' || s.state === 'sending' ? 'badge' : 'badge warn' },
            s.receiptIrregular ? t('dga.irregular') : stateLabel(s.state),
          ),
      },
      { key: 'late', label: t('dga.col.late'), cell: (s) => (s.late ? el('span', { class: 'warn-text' }, t('dga.late')) : '') },
      { key: 'attempts', label: t('dga.col.attempts'), class: 'num', cell: (s) => String(s.attempts) },
      {
        key: 'reason',
        label: t('dga.col.reason'),
        class: 'wrap',
        cell: (s) =>
          s.reason === null && s.lastOutcome !== null && outcomeLabel(s.lastOutcome) !== undefined
            ? outcomeLabel(s.lastOutcome)
            : wire(s.reason ?? s.lastOutcome),
      },
      { key: 'http', label: t('dga.col.http'), class: 'num', cell: (s) => (s.httpStatus === null ? '' : String(s.httpStatus)) },
      { key: 'nextAttempt', label: t('dga.col.nextAttempt'), cell: (s) => (s.nextAttemptAt === null ? '' : fmtIso(s.nextAttemptAt)) },
      { key: 'receipt', label: t('dga.col.receipt'), cell: (s) => s.receipt ?? '' },
      { key: 'verification', label: t('dga.col.verification'), cell: (s) => wire(s.verification) },
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
    toolbar(t('dga.heading'), () => refresh()),
    el('p', { class: 'hint' }, t('dga.clockHint')),
    status,
    body,
    review.section,
    detail,
  );

  async function openDetail(obra) {
    detail.hidden = false;
    setChildren(detail, el('p', { class: 'status' }, t('dga.loadingObra', { obra })));
    detail.scrollIntoView({ block: 'nearest' });
    try {
      const d = await api(`v1/dga/${encodeURIComponent(obra)}`);
      setChildren(
        detail,
        el(
          'div',
          { class: 'toolbar' },
          el('h3', {}, t('dga.obra', { obra: d.obra })),
          el(
            'button',
            {
              type: 'button',
              class: 'secondary',
              onclick: () => {
                detail.hidden = true;
              },
            },
            t('common.close'),
          ),
        ),
        facts([
          [t('dga.fact.kindStandard'), `${d.kind} / ${d.standard}`],
          [t('dga.fact.interface'), d.interface],
          [t('dga.fact.source'), `${d.gateway} / ${d.device}`],
          [t('dga.fact.derivedThrough'), fmtSlot(d.derivedThrough)],
          [
            t('dga.fact.lastAccepted'),
            d.lastAccepted === null
              ? '—'
              : t('dga.lastAcceptedDetail', {
                  slot: fmtSlot(d.lastAccepted.slot),
                  receipt: d.lastAccepted.receipt ?? t('dga.receiptNone'),
                  time: fmtIso(d.lastAccepted.acceptedAt),
                }),
          ],
          [t('dga.fact.nextDue'), fmtIso(d.nextDueAt)],
        ]),
        el('h4', {}, t('dga.latestSlots')),
        d.recent.length === 0 ? el('p', { class: 'hint' }, t('dga.noSlot')) : slotTable(d.recent, 'dga-recent'),
        volumesView(d.obra),
      );
    } catch (err) {
      setChildren(detail, el('p', { class: 'status error' }, describeError(err)));
    }
  }

  function render(obras) {
    if (obras.length === 0) {
      setChildren(body, el('p', { class: 'hint' }, t('dga.noObra')));
      return;
    }
    const columns = [
      { key: 'obra', label: t('dga.col.obra'), cell: (o) => linkButton(o.obra, () => void openDetail(o.obra), { title: t('dga.latestSlots') }) },
      { key: 'source', label: t('dga.col.source'), cell: (o) => `${o.gateway} / ${o.device}` },
      {
        key: 'lastAccepted',
        label: t('dga.col.lastAccepted'),
        cell: (o) =>
          o.lastAccepted === null
            ? '—'
            : [
                fmtSlot(o.lastAccepted.slot),
                o.lastAccepted.receipt === null ? null : el('div', { class: 'hint' }, t('dga.receipt', { receipt: o.lastAccepted.receipt })),
              ],
      },
      { key: 'queued', label: t('dga.col.queued'), class: 'num', cell: (o) => fmtInt(queued(o)) },
      {
        key: 'lateUnsent',
        label: t('dga.col.lateUnsent'),
        class: 'num',
        cell: (o) => (o.lateUnsent > 0 ? el('span', { class: 'warn-text', title: t('dga.pastWindow') }, fmtInt(o.lateUnsent)) : fmtInt(0)),
      },
      { key: 'acceptedLate', label: t('dga.col.acceptedLate'), class: 'num', cell: (o) => fmtInt(o.acceptedLate) },
      { key: 'problems', label: t('dga.col.problems'), cell: problemsCell },
      { key: 'nextDue', label: t('dga.col.nextDue'), cell: (o) => fmtIso(o.nextDueAt) },
      { key: 'state', label: t('dga.col.obraState'), cell: stateCell },
    ];
    const problemLists = obras
      .filter((o) => o.problems.length > 0)
      .map((o) => [el('h3', {}, t('dga.problemsOf', { obra: o.obra })), slotTable(o.problems, `dga-problems-${o.obra}`)]);
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
