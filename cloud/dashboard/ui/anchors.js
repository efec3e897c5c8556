// Anchors tab: GET /v1/anchors?limit&before → { batches: AnchorBatch[] } newest first,
// GET /v1/anchors/<id> → { batch, txs }, GET /v1/anchors/errors → { errors: AnchorErrorRow[] }
// (cloud/http/anchor-routes.ts, cloud/store/anchor-types.ts; wei amounts are decimal strings).
import { api, describeError } from './api.js';
import { el, facts, setChildren, setStatus, table, wire } from './dom.js';
import { fmtInt, fmtTime, fmtUnits, short } from './format.js';
import { t } from './i18n.js';
import { toolbar } from './toolbar.js';

const PAGE = 50;
const STATUS_CLASS = { building: 'badge', pending: 'badge warn', sent: 'badge warn', mined: 'badge', confirmed: 'badge ok' };

/** Labels of the anchoring API's batch and transaction states. */
const statusLabel = (s) =>
  ({
    building: t('anchors.status.building'),
    pending: t('anchors.status.pending'),
    sent: t('anchors.status.sent'),
    mined: t('anchors.status.mined'),
    confirmed: t('anchors.status.confirmed'),
  })[s] ?? s;
const hex = (value) => (value === null ? '—' : el('code', { title: value, translate: 'no' }, short(value)));
const eth = (wei) => fmtUnits(wei, 18, 'ETH');
const gwei = (wei) => fmtUnits(wei, 9, 'gwei');
const period = (b) => (b.periodStart === null ? `… → ${fmtTime(b.periodEnd)}` : `${fmtTime(b.periodStart)} → ${fmtTime(b.periodEnd)}`);

export function anchorsTab(root) {
  const status = el('p', { class: 'status', role: 'status' });
  const batchesBox = el('div');
  const older = el('button', { type: 'button', class: 'secondary', testid: 'anchors-older', hidden: true }, t('anchors.older'));
  const newest = el('button', { type: 'button', class: 'secondary', testid: 'anchors-newest', hidden: true }, t('anchors.newest'));
  const detail = el('div', { class: 'detail', testid: 'anchor-detail', hidden: true });
  const errorsBox = el('div');
  root.append(
    toolbar(t('anchors.heading'), () => refresh()),
    status,
    batchesBox,
    el('div', { class: 'pager' }, newest, older),
    detail,
    el('h3', {}, t('anchors.errors')),
    errorsBox,
  );
  let before;

  async function openBatch(id) {
    detail.hidden = false;
    setChildren(detail, el('p', { class: 'status' }, t('anchors.loadingBatch', { id })));
    detail.scrollIntoView({ block: 'nearest' });
    try {
      const { batch: b, txs } = await api(`v1/anchors/${id}`);
      setChildren(
        detail,
        el(
          'div',
          { class: 'toolbar' },
          el('h3', {}, t('anchors.batch', { id: b.id })),
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
          [t('anchors.fact.status'), statusLabel(b.status)],
          [t('anchors.fact.records'), fmtInt(b.size)],
          [t('anchors.fact.period'), period(b)],
          [t('anchors.fact.root'), b.root === null ? '—' : el('code', { class: 'break', translate: 'no' }, b.root)],
          [t('anchors.fact.tx'), b.txHash === null ? '—' : el('code', { class: 'break', translate: 'no' }, b.txHash)],
          [t('anchors.fact.block'), b.blockNumber === null ? '—' : `${b.blockNumber} (${fmtTime(b.blockTime)})`],
          [t('anchors.fact.gas'), b.gasUsed === null ? '—' : `${fmtInt(b.gasUsed)} / ${eth(b.costWei)}`],
          [t('anchors.fact.confirmed'), fmtTime(b.confirmedAt)],
          [t('anchors.fact.reorgs'), String(b.reorgs)],
        ]),
        el('h4', {}, t('anchors.txs')),
        txs.length === 0
          ? el('p', { class: 'hint' }, t('anchors.noneYet'))
          : table(
              [
                { key: 'id', label: t('anchors.col.id'), class: 'num', cell: (x) => String(x.id) },
                { key: 'hash', label: t('anchors.col.hash'), cell: (x) => hex(x.hash) },
                { key: 'nonce', label: t('anchors.col.nonce'), class: 'num', cell: (x) => String(x.nonce) },
                { key: 'status', label: t('anchors.col.status'), cell: (x) => statusLabel(x.status) },
                { key: 'replaces', label: t('anchors.col.replaces'), class: 'num', cell: (x) => (x.replaces === null ? '' : String(x.replaces)) },
                { key: 'maxFee', label: t('anchors.col.maxFee'), class: 'num', cell: (x) => gwei(x.maxFeePerGas) },
                { key: 'priorityFee', label: t('anchors.col.priorityFee'), class: 'num', cell: (x) => gwei(x.maxPriorityFeePerGas) },
                { key: 'signed', label: t('anchors.col.signed'), cell: (x) => fmtTime(x.createdAt) },
                { key: 'broadcast', label: t('anchors.col.broadcast'), cell: (x) => fmtTime(x.broadcastAt) },
                { key: 'block', label: t('anchors.col.block'), class: 'num', cell: (x) => (x.blockNumber === null ? '—' : String(x.blockNumber)) },
                { key: 'gasUsed', label: t('anchors.col.gasUsed'), class: 'num', cell: (x) => fmtInt(x.gasUsed) },
                { key: 'gasPrice', label: t('anchors.col.gasPrice'), class: 'num', cell: (x) => gwei(x.effectiveGasPrice) },
              ],
              txs,
              (x) => ({ testid: `anchor-tx-${x.id}` }),
            ),
      );
    } catch (err) {
      setChildren(detail, el('p', { class: 'status error' }, describeError(err)));
    }
  }

  function renderBatches(batches) {
    if (batches.length === 0) {
      setChildren(batchesBox, el('p', { class: 'hint' }, t('anchors.noBatch')));
      return;
    }
    setChildren(
      batchesBox,
      table(
        [
          { key: 'batch', label: t('anchors.col.batch'), class: 'num', cell: (b) => String(b.id) },
          { key: 'status', label: t('anchors.col.status'), cell: (b) => el('span', { class: STATUS_CLASS[b.status] ?? 'badge' }, statusLabel(b.status)) },
          { key: 'records', label: t('anchors.col.records'), class: 'num', cell: (b) => fmtInt(b.size) },
          { key: 'periodEnd', label: t('anchors.col.periodEnd'), cell: (b) => fmtTime(b.periodEnd) },
          { key: 'root', label: t('anchors.col.root'), cell: (b) => hex(b.root) },
          { key: 'tx', label: t('anchors.col.tx'), cell: (b) => hex(b.txHash) },
          { key: 'block', label: t('anchors.col.block'), class: 'num', cell: (b) => (b.blockNumber === null ? '—' : String(b.blockNumber)) },
          { key: 'gas', label: t('anchors.col.gas'), class: 'num', cell: (b) => fmtInt(b.gasUsed) },
          { key: 'cost', label: t('anchors.col.cost'), class: 'num', cell: (b) => eth(b.costWei) },
          {
            key: 'reorgs',
            label: t('anchors.col.reorgs'),
            class: 'num',
            cell: (b) => (b.reorgs === 0 ? '' : el('span', { class: 'warn-text' }, String(b.reorgs))),
          },
        ],
        batches,
        (b) => ({
          testid: `anchor-row-${b.id}`,
          class: 'clickable',
          tabindex: 0,
          title: t('anchors.showTxs'),
          onclick: () => void openBatch(b.id),
          onkeydown: (e) => {
            if (e.key === 'Enter') void openBatch(b.id);
          },
        }),
        { class: 'cards' },
      ),
    );
  }

  function renderErrors(errors) {
    setChildren(
      errorsBox,
      errors.length === 0
        ? el('p', { class: 'hint' }, t('common.none'))
        : table(
            [
              { key: 'first', label: t('anchors.col.first'), cell: (e) => fmtTime(e.at) },
              { key: 'last', label: t('anchors.col.last'), cell: (e) => fmtTime(e.lastAt) },
              { key: 'times', label: t('anchors.col.times'), class: 'num', cell: (e) => fmtInt(e.count) },
              { key: 'code', label: t('anchors.col.code'), cell: (e) => el('code', { translate: 'no' }, e.code) },
              { key: 'batch', label: t('anchors.col.batch'), class: 'num', cell: (e) => (e.batchId === null ? '' : String(e.batchId)) },
              { key: 'message', label: t('anchors.col.message'), class: 'wrap', cell: (e) => wire(e.message) },
            ],
            errors,
            (e) => ({ testid: `anchor-error-${e.id}` }),
            { testid: 'anchor-errors' },
          ),
    );
  }

  async function refresh() {
    try {
      const [{ batches }, { errors }] = await Promise.all([api('v1/anchors', { limit: PAGE, before }), api('v1/anchors/errors', { limit: PAGE })]);
      renderBatches(batches);
      renderErrors(errors);
      older.hidden = batches.length < PAGE;
      newest.hidden = before === undefined;
      older.onclick = () => {
        before = batches[batches.length - 1]?.id;
        void refresh();
      };
      setStatus(status, '');
    } catch (err) {
      setStatus(status, describeError(err), 'error');
    }
  }

  newest.addEventListener('click', () => {
    before = undefined;
    void refresh();
  });

  return { show: refresh, refresh, autoRefresh: false };
}
