// Gateways tab: GET /v1/gateways → { gateways: [{ id, createdAt, lastSeenAt, highestSeq, clockOffsetMs, records }] }.
import { api, describeError, relayNow } from './api.js';
import { el, linkButton, setChildren, setStatus, table } from './dom.js';
import { fmtDuration, fmtInt, fmtOffset, fmtTime } from './format.js';

/** A gateway silent for longer than this is highlighted (it syncs every few seconds when up). */
export const STALE_MS = 10 * 60_000;
/** A clock this far off is highlighted: DGA slots are matched within minutes. */
const OFFSET_WARN_MS = 60_000;

export function gatewaysTab(root, ctx) {
  const status = el('p', { class: 'status', role: 'status' });
  const summary = el('p', { class: 'summary' });
  const body = el('div');
  root.append(
    el('div', { class: 'toolbar' }, el('h2', {}, 'Gateways'), el('button', { type: 'button', class: 'secondary', onclick: () => void refresh() }, 'Refresh')),
    summary,
    status,
    body,
  );

  function render(gateways, now) {
    const stale = (g) => g.lastSeenAt === null || now - g.lastSeenAt > STALE_MS;
    const staleCount = gateways.filter(stale).length;
    summary.textContent =
      gateways.length === 0
        ? 'No gateway registered yet (atalaya relay gateway add <id>).'
        : `${gateways.length} gateway${gateways.length === 1 ? '' : 's'}; ${staleCount} not seen for over ${STALE_MS / 60_000} min.`;
    summary.className = staleCount > 0 ? 'summary warn' : 'summary';
    const columns = [
      { label: 'Gateway', cell: (g) => linkButton(g.id, () => ctx.openReadings({ gateway: g.id }), { title: `Readings of ${g.id}` }) },
      { label: 'Last seen', cell: (g) => fmtTime(g.lastSeenAt) },
      {
        label: 'Age',
        cell: (g) =>
          g.lastSeenAt === null
            ? el('span', { class: 'badge warn' }, 'never seen')
            : [fmtDuration(now - g.lastSeenAt), stale(g) ? el('span', { class: 'badge warn' }, 'stale') : null],
      },
      { label: 'Highest seq', class: 'num', cell: (g) => fmtInt(g.highestSeq) },
      { label: 'Records', class: 'num', cell: (g) => fmtInt(g.records) },
      {
        label: 'Clock offset',
        cell: (g) =>
          el('span', { class: g.clockOffsetMs !== null && Math.abs(g.clockOffsetMs) > OFFSET_WARN_MS ? 'warn-text' : undefined }, fmtOffset(g.clockOffsetMs)),
      },
      { label: 'Registered', cell: (g) => fmtTime(g.createdAt) },
    ];
    setChildren(
      body,
      gateways.length === 0
        ? null
        : table(
            columns,
            gateways,
            (g) => ({
              testid: `gateway-row-${g.id}`,
              class: stale(g) ? 'stale' : undefined,
              'data-stale': stale(g) ? 'true' : 'false',
            }),
            { class: 'cards' },
          ),
    );
  }

  async function refresh() {
    try {
      const { gateways } = await api('v1/gateways');
      render(gateways, relayNow());
      setStatus(status, `Updated ${fmtTime(Date.now())}.`);
    } catch (err) {
      setStatus(status, describeError(err), 'error');
    }
  }

  return { show: refresh, refresh, autoRefresh: true };
}
