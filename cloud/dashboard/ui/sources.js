// Sources tab: GET /v1/sources → { sources: [{ id, kind, gateway, configured, provisioned,
// lastSuccessAt, lastErrorAt, lastError, failures, nextTryAt, messages, duplicates,
// problems: [{ reason, count, lastAt, lastDetail }] }] } (cloud/providers, issue 17).
import { api, describeError, relayNow } from './api.js';
import { el, linkButton, setChildren, setStatus, table } from './dom.js';
import { fmtDuration, fmtInt, fmtTime } from './format.js';

/** Every string this tab shows, in one place for the catalogue of translations. */
export const SOURCES_TEXT = {
  title: 'Sources',
  refresh: 'Refresh',
  none: 'No provider source yet (atalaya relay source add <id> --kind tts|tago|http).',
  summary: (n, failing) => `${n} source${n === 1 ? '' : 's'}; ${failing} failing.`,
  source: 'Source',
  kind: 'Kind',
  state: 'State',
  lastSuccess: 'Last success',
  lastError: 'Last error',
  nextTry: 'Next try',
  messages: 'Messages',
  duplicates: 'Redelivered',
  problems: 'Problems',
  notProvisioned: 'not provisioned',
  notConfigured: 'not in config',
  failing: (n) => `failing (${n} in a row)`,
  ok: 'ok',
  never: 'never',
  inTime: (ms) => (ms <= 0 ? 'due' : `in ${fmtDuration(ms)}`),
  problem: (p) => `${p.reason}: ${p.count} (last: ${p.lastDetail})`,
  updated: (t) => `Updated ${t}.`,
  readingsOf: (id) => `Readings of ${id}`,
};
const T = SOURCES_TEXT;

export function sourcesTab(root, ctx) {
  const status = el('p', { class: 'status', role: 'status' });
  const summary = el('p', { class: 'summary' });
  const body = el('div');
  root.append(
    el('div', { class: 'toolbar' }, el('h2', {}, T.title), el('button', { type: 'button', class: 'secondary', onclick: () => void refresh() }, T.refresh)),
    summary,
    status,
    body,
  );

  function state(s) {
    if (!s.provisioned) return el('span', { class: 'badge warn' }, T.notProvisioned);
    if (!s.configured) return el('span', { class: 'badge warn' }, T.notConfigured);
    if (s.failures > 0) return el('span', { class: 'badge warn' }, T.failing(s.failures));
    return el('span', { class: 'badge' }, T.ok);
  }

  function render(sources, now) {
    const failing = sources.filter((s) => s.failures > 0 || !s.provisioned).length;
    summary.textContent = sources.length === 0 ? T.none : T.summary(sources.length, failing);
    summary.className = failing > 0 ? 'summary warn' : 'summary';
    const columns = [
      {
        label: T.source,
        cell: (s) => (s.gateway ? linkButton(s.id, () => ctx.openReadings({ gateway: s.gateway }), { title: T.readingsOf(s.gateway) }) : s.id),
      },
      { label: T.kind, cell: (s) => s.kind },
      { label: T.state, cell: state },
      { label: T.lastSuccess, cell: (s) => (s.lastSuccessAt ? fmtTime(s.lastSuccessAt) : T.never) },
      { label: T.lastError, cell: (s) => (s.lastError ? [fmtTime(s.lastErrorAt), ' ', el('span', { class: 'warn-text' }, s.lastError)] : '') },
      { label: T.nextTry, cell: (s) => (s.nextTryAt ? T.inTime(s.nextTryAt - now) : '') },
      { label: T.messages, class: 'num', cell: (s) => fmtInt(s.messages ?? 0) },
      { label: T.duplicates, class: 'num', cell: (s) => fmtInt(s.duplicates ?? 0) },
      { label: T.problems, cell: (s) => s.problems.map((p) => el('div', { testid: `source-problem-${s.id}-${p.reason}` }, T.problem(p))) },
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
      setStatus(status, T.updated(fmtTime(Date.now())));
    } catch (err) {
      setStatus(status, describeError(err), 'error');
    }
  }

  return { show: refresh, refresh, autoRefresh: true };
}
