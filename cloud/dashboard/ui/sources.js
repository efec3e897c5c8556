// Sources tab: GET /v1/sources → { sources: [{ id, kind, gateway, configured, provisioned,
// lastSuccessAt, lastErrorAt, lastError, failures, nextTryAt, messages, duplicates,
// problems: [{ reason, count, lastAt, lastDetail }] }] } (cloud/providers, issue 17).
import { api, describeError, relayNow } from './api.js';
import { el, linkButton, setChildren, setStatus, table, wire } from './dom.js';
import { fmtDuration, fmtInt, fmtTime } from './format.js';
import { t } from './i18n.js';
import { toolbar } from './toolbar.js';

/** Source kinds (cloud/providers/config.ts) and problem reasons are wire values: shown by their label, an unknown one as it came. */
function labels() {
  return {
    kinds: { tts: t('sources.kind.tts'), tago: t('sources.kind.tago'), http: t('sources.kind.http') },
    reasons: {
      bad_row: t('sources.reason.bad_row'),
      bad_time: t('sources.reason.bad_time'),
      malformed: t('sources.reason.malformed'),
      missing_field: t('sources.reason.missing_field'),
      not_a_number: t('sources.reason.not_a_number'),
      not_uplink: t('sources.reason.not_uplink'),
      unknown_device: t('sources.reason.unknown_device'),
    },
  };
}

export function sourcesTab(root, ctx) {
  const L = labels();
  const inTime = (ms) => (ms <= 0 ? t('sources.due') : t('sources.inTime', { duration: fmtDuration(ms) }));
  // The reason by its label, the count in the page's language; the provider's detail as it came.
  const problem = (p) => [t('sources.problem', { reason: L.reasons[p.reason] ?? p.reason, count: fmtInt(p.count) }), ' ', wire(p.lastDetail), ')'];
  const status = el('p', { class: 'status', role: 'status' });
  const summary = el('p', { class: 'summary' });
  const body = el('div');
  root.append(
    toolbar(t('sources.heading'), () => refresh()),
    summary,
    status,
    body,
  );

  function state(s) {
    if (!s.provisioned) return el('span', { class: 'badge warn' }, t('sources.state.notProvisioned'));
    if (!s.configured) return el('span', { class: 'badge warn' }, t('sources.state.notConfigured'));
    if (s.failures > 0) return el('span', { class: 'badge warn' }, t('sources.state.failing', { n: fmtInt(s.failures) }));
    return el('span', { class: 'badge' }, t('sources.state.ok'));
  }

  function render(sources, now) {
    const failing = sources.filter((s) => s.failures > 0 || !s.provisioned).length;
    summary.textContent = sources.length === 0 ? t('sources.none') : t('sources.summary', { count: fmtInt(sources.length), failing: fmtInt(failing) });
    summary.className = failing > 0 ? 'summary warn' : 'summary';
    const columns = [
      {
        key: 'source',
        label: t('sources.col.source'),
        cell: (s) =>
          s.gateway ? linkButton(s.id, () => ctx.openReadings({ gateway: s.gateway }), { title: t('gateways.readingsOf', { gateway: s.gateway }) }) : s.id,
      },
      { key: 'kind', label: t('sources.col.kind'), cell: (s) => L.kinds[s.kind] ?? wire(s.kind) },
      { key: 'state', label: t('sources.col.state'), cell: state },
      { key: 'lastSuccess', label: t('sources.col.lastSuccess'), cell: (s) => (s.lastSuccessAt ? fmtTime(s.lastSuccessAt) : t('sources.never')) },
      {
        key: 'lastError',
        label: t('sources.col.lastError'),
        class: 'wrap',
        cell: (s) => (s.lastError ? [fmtTime(s.lastErrorAt), ' ', el('span', { class: 'warn-text', translate: 'no' }, s.lastError)] : ''),
      },
      { key: 'nextTry', label: t('sources.col.nextTry'), cell: (s) => (s.nextTryAt ? inTime(s.nextTryAt - now) : '') },
      { key: 'messages', label: t('sources.col.messages'), class: 'num', cell: (s) => fmtInt(s.messages ?? 0) },
      { key: 'duplicates', label: t('sources.col.duplicates'), class: 'num', cell: (s) => fmtInt(s.duplicates ?? 0) },
      {
        key: 'problems',
        label: t('sources.col.problems'),
        class: 'wrap',
        cell: (s) => s.problems.map((p) => el('div', { testid: `source-problem-${s.id}-${p.reason}` }, problem(p))),
      },
    ];
    setChildren(
      body,
      sources.length === 0
        ? null
        : table(columns, sources, (s) => ({ testid: `source-row-${s.id}`, 'data-failing': s.failures > 0 ? 'true' : 'false' }), { class: 'cards' }),
    );
  }

  async function refresh() {
    try {
      const { sources } = await api('v1/sources');
      render(sources, relayNow());
      setStatus(status, t('common.updated', { time: fmtTime(Date.now()) }));
    } catch (err) {
      setStatus(status, describeError(err), 'error');
    }
  }

  return { show: refresh, refresh, autoRefresh: true };
}
