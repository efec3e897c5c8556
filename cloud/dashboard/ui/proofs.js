// GET /v1/proofs/<gateway>/<seq>: the proof document (protocols/anchor/document.ts) saved as a
// file, byte for byte as the relay sent it, for `atalaya verify proof.json`. 409 not_anchored
// while the record's batch is not in a block ({ status, batch }).
import { describeError, HttpError, request } from './api.js';
import { el, setStatus } from './dom.js';
import { t } from './i18n.js';

export function save(blob, name) {
  const url = URL.createObjectURL(blob);
  const a = el('a', { href: url, download: name, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  // The download has started from the click; the URL only has to outlive it briefly.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

export function proofButton(gateway, seq, status) {
  const button = el('button', { type: 'button', class: 'link', testid: `proof-${gateway}-${seq}`, title: t('proof.title') }, t('proof.button'));
  button.addEventListener('click', async () => {
    button.disabled = true;
    try {
      const res = await request(`v1/proofs/${encodeURIComponent(gateway)}/${seq}`);
      const body = await res.text();
      save(new Blob([body], { type: 'application/json' }), `atalaya-proof-${gateway}-${seq}.json`);
      button.textContent = t('proof.done');
      setStatus(status, t('proof.downloaded', { gateway, seq }), 'ok');
    } catch (err) {
      if (err instanceof HttpError && err.status === 409) {
        const noBatch = err.body?.batch === undefined || err.body?.batch === null;
        button.textContent = t('proof.notYet');
        setStatus(
          status,
          noBatch ? t('proof.notAnchored', { gateway, seq }) : t('proof.notAnchoredBatch', { gateway, seq, batch: err.body.batch, status: err.body.status }),
        );
      } else {
        setStatus(status, describeError(err), 'error');
      }
    } finally {
      button.disabled = false;
    }
  });
  return button;
}
