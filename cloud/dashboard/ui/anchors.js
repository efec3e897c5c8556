// Anchors tab: GET /v1/anchors?limit&before → { batches: AnchorBatch[] } newest first,
// GET /v1/anchors/<id> → { batch, txs }, GET /v1/anchors/errors → { errors: AnchorErrorRow[] }
// (cloud/http/anchor-routes.ts, cloud/store/anchor-types.ts; wei amounts are decimal strings).
import { api, describeError } from './api.js';
import { el, facts, setChildren, setStatus, table } from './dom.js';
import { fmtInt, fmtTime, fmtUnits, short } from './format.js';

const PAGE = 50;
const STATUS_CLASS = { building: 'badge', pending: 'badge warn', sent: 'badge warn', mined: 'badge', confirmed: 'badge ok' };

const hex = (value) => (value === null ? '—' : el('code', { title: value }, short(value)));
const eth = (wei) => fmtUnits(wei, 18, 'ETH');
const gwei = (wei) => fmtUnits(wei, 9, 'gwei');
const period = (b) => (b.periodStart === null ? `… → ${fmtTime(b.periodEnd)}` : `${fmtTime(b.periodStart)} → ${fmtTime(b.periodEnd)}`);

export function anchorsTab(root) {
  const status = el('p', { class: 'status', role: 'status' });
  const batchesBox = el('div');
  const older = el('button', { type: 'button', class: 'secondary', testid: 'anchors-older', hidden: true }, 'Older batches →');
  const newest = el('button', { type: 'button', class: 'secondary', testid: 'anchors-newest', hidden: true }, '← Newest');
  const detail = el('div', { class: 'detail', testid: 'anchor-detail', hidden: true });
  const errorsBox = el('div');
  root.append(
    el('div', { class: 'toolbar' }, el('h2', {}, 'Anchoring'), el('button', { type: 'button', class: 'secondary', onclick: () => void refresh() }, 'Refresh')),
    status,
    batchesBox,
    el('div', { class: 'pager' }, newest, older),
    detail,
    el('h3', {}, 'Errors talking to the chain'),
    errorsBox,
  );
  let before;

  async function openBatch(id) {
    detail.hidden = false;
    setChildren(detail, el('p', { class: 'status' }, `Loading batch ${id}…`));
    detail.scrollIntoView({ block: 'nearest' });
    try {
      const { batch: b, txs } = await api(`v1/anchors/${id}`);
      setChildren(
        detail,
        el(
          'div',
          { class: 'toolbar' },
          el('h3', {}, `Batch ${b.id}`),
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
          ['Status', b.status],
          ['Records', fmtInt(b.size)],
          ['Period (received)', period(b)],
          ['Root', b.root === null ? '—' : el('code', { class: 'break' }, b.root)],
          ['Transaction', b.txHash === null ? '—' : el('code', { class: 'break' }, b.txHash)],
          ['Block', b.blockNumber === null ? '—' : `${b.blockNumber} (${fmtTime(b.blockTime)})`],
          ['Gas used / cost', b.gasUsed === null ? '—' : `${fmtInt(b.gasUsed)} / ${eth(b.costWei)}`],
          ['Confirmed', fmtTime(b.confirmedAt)],
          ['Reorgs', String(b.reorgs)],
        ]),
        el('h4', {}, 'Transactions signed for it'),
        txs.length === 0
          ? el('p', { class: 'hint' }, 'None yet.')
          : table(
              [
                { label: 'Id', class: 'num', cell: (t) => String(t.id) },
                { label: 'Hash', cell: (t) => hex(t.hash) },
                { label: 'Nonce', class: 'num', cell: (t) => String(t.nonce) },
                { label: 'Status', cell: (t) => t.status },
                { label: 'Replaces', class: 'num', cell: (t) => (t.replaces === null ? '' : String(t.replaces)) },
                { label: 'Max fee', class: 'num', cell: (t) => gwei(t.maxFeePerGas) },
                { label: 'Priority fee', class: 'num', cell: (t) => gwei(t.maxPriorityFeePerGas) },
                { label: 'Signed', cell: (t) => fmtTime(t.createdAt) },
                { label: 'Broadcast', cell: (t) => fmtTime(t.broadcastAt) },
                { label: 'Block', class: 'num', cell: (t) => (t.blockNumber === null ? '—' : String(t.blockNumber)) },
                { label: 'Gas used', class: 'num', cell: (t) => fmtInt(t.gasUsed) },
                { label: 'Gas price', class: 'num', cell: (t) => gwei(t.effectiveGasPrice) },
              ],
              txs,
              (t) => ({ testid: `anchor-tx-${t.id}` }),
            ),
      );
    } catch (err) {
      setChildren(detail, el('p', { class: 'status error' }, describeError(err)));
    }
  }

  function renderBatches(batches) {
    if (batches.length === 0) {
      setChildren(batchesBox, el('p', { class: 'hint' }, 'No batch yet: the first closes on anchor.schedule (or atalaya relay anchor now).'));
      return;
    }
    setChildren(
      batchesBox,
      table(
        [
          { label: 'Batch', class: 'num', cell: (b) => String(b.id) },
          { label: 'Status', cell: (b) => el('span', { class: STATUS_CLASS[b.status] ?? 'badge' }, b.status) },
          { label: 'Records', class: 'num', cell: (b) => fmtInt(b.size) },
          { label: 'Period end', cell: (b) => fmtTime(b.periodEnd) },
          { label: 'Root', cell: (b) => hex(b.root) },
          { label: 'Tx', cell: (b) => hex(b.txHash) },
          { label: 'Block', class: 'num', cell: (b) => (b.blockNumber === null ? '—' : String(b.blockNumber)) },
          { label: 'Gas', class: 'num', cell: (b) => fmtInt(b.gasUsed) },
          { label: 'Cost', class: 'num', cell: (b) => eth(b.costWei) },
          { label: 'Reorgs', class: 'num', cell: (b) => (b.reorgs === 0 ? '' : el('span', { class: 'warn-text' }, String(b.reorgs))) },
        ],
        batches,
        (b) => ({
          testid: `anchor-row-${b.id}`,
          class: 'clickable',
          tabindex: 0,
          title: 'Show its transactions',
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
        ? el('p', { class: 'hint' }, 'None.')
        : table(
            [
              { label: 'First', cell: (e) => fmtTime(e.at) },
              { label: 'Last', cell: (e) => fmtTime(e.lastAt) },
              { label: 'Times', class: 'num', cell: (e) => fmtInt(e.count) },
              { label: 'Code', cell: (e) => el('code', {}, e.code) },
              { label: 'Batch', class: 'num', cell: (e) => (e.batchId === null ? '' : String(e.batchId)) },
              { label: 'Message', class: 'wrap', cell: (e) => e.message },
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
