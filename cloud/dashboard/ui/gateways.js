// Gateways tab: GET /v1/gateways → { gateways: [{ id, createdAt, lastSeenAt, highestSeq, clockOffsetMs, records }] }.
import { api, describeError, relayNow } from './api.js';
import { el, linkButton, setChildren, setStatus, table } from './dom.js';
import { fmtDuration, fmtInt, fmtOffset, fmtTime } from './format.js';
import { t } from './i18n.js';
import { toolbar } from './toolbar.js';

/** A gateway silent for longer than this is highlighted (it syncs every few seconds when up). */
export const STALE_MS = 10 * 60_000;
/** A clock this far off is highlighted: DGA slots are matched within minutes. */
const OFFSET_WARN_MS = 60_000;

/** Relay clock − gateway clock: positive means the gateway is behind (said when over a second). */
function offsetText(ms) {
  const text = fmtOffset(ms);
  if (ms === null || ms === undefined || Math.abs(ms) < 1000) return text;
  return ms > 0 ? t('gateways.behind', { offset: text }) : t('gateways.ahead', { offset: text });
}

export function gatewaysTab(root, ctx) {
  const status = el('p', { class: 'status', role: 'status' });
  const summary = el('p', { class: 'summary' });
  const body = el('div');
  root.append(
    toolbar(t('gateways.heading'), () => refresh()),
    summary,
    status,
    body,
  );

  function render(gateways, now) {
    const stale = (g) => g.lastSeenAt === null || now - g.lastSeenAt > STALE_MS;
    const staleCount = gateways.filter(stale).length;
    summary.textContent =
      gateways.length === 0
        ? t('gateways.none')
        : t('gateways.summary', { count: fmtInt(gateways.length), stale: fmtInt(staleCount), minutes: STALE_MS / 60_000 });
    summary.className = staleCount > 0 ? 'summary warn' : 'summary';
    const columns = [
      {
        key: 'gateway',
        label: t('gateways.col.gateway'),
        cell: (g) => linkButton(g.id, () => ctx.openReadings({ gateway: g.id }), { title: t('gateways.readingsOf', { gateway: g.id }) }),
      },
      { key: 'lastSeen', label: t('gateways.col.lastSeen'), cell: (g) => fmtTime(g.lastSeenAt) },
      {
        key: 'age',
        label: t('gateways.col.age'),
        cell: (g) =>
          g.lastSeenAt === null
            ? el('span', { class: 'badge warn' }, t('gateways.neverSeen'))
            : [fmtDuration(now - g.lastSeenAt), stale(g) ? el('span', { class: 'badge warn' }, t('gateways.stale')) : null],
      },
      { key: 'highestSeq', label: t('gateways.col.highestSeq'), class: 'num', cell: (g) => fmtInt(g.highestSeq) },
      { key: 'records', label: t('gateways.col.records'), class: 'num', cell: (g) => fmtInt(g.records) },
      {
        key: 'clockOffset',
        label: t('gateways.col.clockOffset'),
        cell: (g) =>
          el('span', { class: g.clockOffsetMs !== null && Math.abs(g.clockOffsetMs) > OFFSET_WARN_MS ? 'warn-text' : undefined }, offsetText(g.clockOffsetMs)),
      },
      { key: 'registered', label: t('gateways.col.registered'), cell: (g) => fmtTime(g.createdAt) },
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
      setStatus(status, t('common.updated', { time: fmtTime(Date.now()) }));
    } catch (err) {
      setStatus(status, describeError(err), 'error');
    }
  }

  return { show: refresh, refresh, autoRefresh: true };
}
