import { describe, expect, it } from 'vitest';
import type { AnchorStore, MinedInput } from '../../cloud/store/anchor-types.ts';
import { type AnchorDb, anchorDatabases, signer, started, T0 } from './anchor-store-setup.ts';

/** AnchorStore.stats(), the aggregates behind the relay's atalaya_anchor_* metrics, on both databases. */
const databases = anchorDatabases();
const NOW = T0 + 86_400_000;
const CHAIN = 31_337;
const SENDER = '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266';

const mined = (gasUsed: number, blockNumber: number): MinedInput => ({
  blockNumber,
  blockHash: `0x${blockNumber.toString(16).padStart(64, 'b')}`,
  blockTime: NOW + 12_000,
  gasUsed,
  effectiveGasPrice: '1000000000',
  receipt: '{"status":"0x1"}',
  block: '{}',
});

let seq = 0;
async function batch(db: AnchorDb, store: AnchorStore, root = true): Promise<number> {
  const at = T0 + ++seq;
  await db.ingest('gw-a', [seq], at);
  const b = await store.claimBatch({ periodStart: at, periodEnd: at + 1, now: NOW });
  if (b === undefined) throw new Error('nothing claimed');
  if (root) await store.setBatchRoot(b.id, seq.toString(16).padStart(64, '0'), NOW);
  return b.id;
}

async function minedBatch(db: AnchorDb, store: AnchorStore, gas: number): Promise<number> {
  const id = await batch(db, store);
  const tx = await store.recordSigned({ batchId: id, chainId: CHAIN, sender: SENDER, chainNonce: 0, sign: signer().sign, now: NOW });
  if (tx === undefined) throw new Error('not signed');
  await store.markMined(tx.id, mined(gas, 100 + id), NOW + 1);
  return id;
}

describe.each(['sqlite', 'postgres'] as const)('anchor stats on %s', (backend) => {
  it('counts batches by status, sums the gas of batches in a block and the errors logged', async () => {
    const db = await databases[backend]();
    const store = await started(db);
    expect(await store.stats()).toEqual({ batches: { building: 0, pending: 0, sent: 0, mined: 0, confirmed: 0 }, gasUsed: 0, lastGasUsed: null, errors: 0 });

    await batch(db, store, false);
    await batch(db, store);
    const first = await minedBatch(db, store, 30_000);
    await store.markConfirmed(first, NOW + 2);
    await minedBatch(db, store, 25_000);
    const e = { batchId: first, txId: null, code: 'ATALAYA_ANCHOR_RPC', message: 'node down' };
    await store.logError({ ...e, at: NOW });
    await store.logError({ ...e, at: NOW + 1 });
    await store.logError({ ...e, code: 'ATALAYA_ANCHOR_FEE', at: NOW + 2 });

    expect(await store.stats()).toEqual({
      batches: { building: 1, pending: 1, sent: 0, mined: 1, confirmed: 1 },
      gasUsed: 55_000,
      lastGasUsed: 25_000,
      errors: 3,
    });
  });
});
