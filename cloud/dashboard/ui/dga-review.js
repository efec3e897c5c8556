// DGA tab, Review: slots a plausibility check held (GET /v1/dga/review, cloud/dga/review.ts),
// each with its findings, the values derived and the readings behind them, and a person's
// decision: approve (send the derived values), correct (values + a required reason: those are
// sent) or mark missing (a required reason). POST /v1/dga/<obra>/<slot>/<action>; the relay
// records the operator token's name as who acted (docs/dga.md#review-before-sending).
import { api, describeError, post } from './api.js';
import { el, setChildren, setStatus, wire } from './dom.js';
import { fmtSlot, fmtValue } from './format.js';
import { t } from './i18n.js';

/** The DGA measurement's fields (wire names) and their labels. */
const FIELDS = ['caudal', 'totalizador', 'nivelFreatico', 'alturaLimnimetrica'];
const fieldLabel = (k) =>
  ({
    caudal: t('review.field.caudal'),
    totalizador: t('review.field.totalizador'),
    nivelFreatico: t('review.field.nivelFreatico'),
    alturaLimnimetrica: t('review.field.alturaLimnimetrica'),
  })[k];
const actionLabel = (a) =>
  ({ approve: t('review.action.approve'), correct: t('review.action.correct'), 'mark-missing': t('review.action.mark-missing') })[a] ?? a;

const values = (m) =>
  m === null
    ? '—'
    : FIELDS.filter((k) => m[k] !== undefined && m[k] !== null)
        .map((k) => `${fieldLabel(k)} ${fmtValue(m[k])}`)
        .join(' · ');

export function reviewSection(onChange) {
  const status = el('p', { class: 'status', role: 'status' });
  const list = el('div', { testid: 'dga-review' });
  const section = el('section', {}, el('h3', {}, t('review.heading')), el('p', { class: 'hint' }, t('review.hint')), status, list);

  async function act(s, action, body) {
    const path = `v1/dga/${encodeURIComponent(s.obra)}/${encodeURIComponent(s.slot)}/${action}`;
    try {
      await post(path, body);
      setStatus(status, t('review.recorded', { obra: s.obra, slot: fmtSlot(s.slot), action: actionLabel(action) }), 'ok');
      setChildren(list);
      onChange();
    } catch (err) {
      setStatus(status, describeError(err), 'error');
    }
  }

  function correctForm(s) {
    // The inputs keep the wire value (a number input reads `2.5` whatever the page's language).
    const inputs = FIELDS.filter((k) => s.measurement !== null && s.measurement[k] !== undefined && s.measurement[k] !== null).map((k) =>
      el(
        'label',
        {},
        fieldLabel(k),
        el('input', { type: 'number', step: 'any', min: '0', name: k, value: String(s.measurement[k]), testid: `review-value-${k}` }),
      ),
    );
    const reason = el('textarea', { name: 'reason', required: true, maxlength: '1000', testid: 'review-reason' });
    const form = el(
      'form',
      { class: 'review-form', testid: 'review-correct-form' },
      inputs,
      el('label', {}, t('review.reasonRequired'), reason),
      el('button', { type: 'submit', testid: 'review-correct-submit' }, t('review.send')),
    );
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const changed = {};
      for (const input of form.querySelectorAll('input[type=number]')) {
        const v = Number(input.value);
        if (input.value !== '' && v !== s.measurement[input.name]) changed[input.name] = v;
      }
      void act(s, 'correct', { reason: reason.value, values: changed });
    });
    return form;
  }

  function missingForm(s) {
    const reason = el('textarea', { name: 'reason', required: true, maxlength: '1000', testid: 'review-missing-reason' });
    const form = el(
      'form',
      { class: 'review-form' },
      el('label', {}, t('review.reasonRequired'), reason),
      el('button', { type: 'submit', testid: 'review-missing-submit' }, t('review.markMissing')),
    );
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      void act(s, 'mark-missing', { reason: reason.value });
    });
    return form;
  }

  function item(s) {
    const extra = el('div');
    return el(
      'article',
      { class: 'card', testid: `review-${s.obra}-${s.slotMs}` },
      el('h4', {}, `${s.obra} · ${fmtSlot(s.slot)} (UTC−4)`, s.late ? el('span', { class: 'badge warn' }, t('review.late')) : null),
      el('p', {}, values(s.measurement)),
      el(
        'ul',
        { class: 'findings' },
        s.findings.map((f) => el('li', { 'data-code': f.code }, el('strong', {}, f.code), ': ', wire(f.message))),
      ),
      el(
        'p',
        { class: 'hint' },
        s.readings
          .map((r) => {
            const good = t('review.good', { channel: r.channel, good: r.good, readings: r.readings });
            return r.min === null ? good : `${good}, ${t('review.range', { min: fmtValue(r.min), max: fmtValue(r.max) })} ${r.unit ?? ''}`.trimEnd();
          })
          .join(' · '),
      ),
      el(
        'div',
        { class: 'toolbar' },
        el('button', { type: 'button', testid: 'review-approve', onclick: () => void act(s, 'approve', {}) }, t('review.approve')),
        el('button', { type: 'button', class: 'secondary', testid: 'review-correct', onclick: () => setChildren(extra, correctForm(s)) }, t('review.correct')),
        el(
          'button',
          { type: 'button', class: 'secondary', testid: 'review-missing', onclick: () => setChildren(extra, missingForm(s)) },
          t('review.markMissingOpen'),
        ),
      ),
      extra,
    );
  }

  async function refresh() {
    // The tab refreshes itself: never under a person typing a correction or a reason.
    if (list.querySelector('form') !== null) return;
    try {
      const { slots } = await api('v1/dga/review');
      setChildren(list, slots.length === 0 ? el('p', { class: 'hint', testid: 'dga-review-empty' }, t('review.empty')) : slots.map(item));
    } catch (err) {
      setStatus(status, describeError(err), 'error');
    }
  }

  return { section, refresh };
}
