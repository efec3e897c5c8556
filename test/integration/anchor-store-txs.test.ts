import { describe, expect, it } from 'vitest';
import type { AnchorStore, MinedInput } from '../../cloud/store/anchor-types.ts';
import { STORE_ANCHOR_REFUSED } from '../../cloud/store/errors.ts';
import { type AnchorDb, anchorDatabases, signedTx, signer, started, T0 } from './anchor-store-setup.ts';

/** The anchoring store's transactions and nonces: one suite on SQLite and PostgreSQL. */
const databases = anchorDatabases();
const NOW = T0 + 86_400_000;
const CHAIN = 31_337;
const SENDER = '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266';
const OTHER = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8';

let seq = 0;
/** A claimed batch with its root written (pending), of one fresh record. */
async function pendingBatch(db: AnchorDb, store: AnchorStore): Promise<number> {
  const at = T0 + ++seq;
  await db.ingest('gw-a', [seq], at);
  const batch = await store.claimBatch({ periodStart: at, periodEnd: at + 1, now: NOW });
  if (batch === undefined) throw new Error('nothing claimed');
  await store.setBatchRoot(batch.id, seq.toString(16).padStart(64, '0'), NOW);
  return batch.id;
}

const mined = (over: Partial<MinedInput> = {}): MinedInput => ({
  blockNumber: 1234,
  blockHash: `0x${'b'.repeat(64)}`,
  blockTime: NOW + 12_000,
  gasUsed: 24_000,
  effectiveGasPrice: '1000000000000000',
  receipt: '{"status":"0x1"}',
  block: '{"number":"0x4d2"}',
  ...over,
});

async function nextNonce(db: AnchorDb, sender = SENDER): Promise<number | undefined> {
  const rows = await db.rows<{ next_nonce: number | string }>(`SELECT next_nonce FROM anchor_nonces WHERE chain_id = ${CHAIN} AND sender = '${sender}'`);
  return rows[0] === undefined ? undefined : Number(rows[0].next_nonce);
}

describe.each(['sqlite', 'postgres'] as const)('anchor store transactions on %s', (backend) => {
  const fresh = databases[backend];

  it('allocates max(stored, chain) as the nonce, stores the signed transaction, and keeps the next nonce across a restart', async () => {
    const db = await fresh();
    let store = await started(db);
    const b1 = await pendingBatch(db, store);
    const s = signer();
    const tx = await store.recordSigned({ batchId: b1, chainId: CHAIN, sender: SENDER, chainNonce: 5, sign: s.sign, now: NOW + 1 });
    const expected = signedTx(5);
    expect(tx).toEqual({
      id: expect.any(Number),
      batchId: b1,
      chainId: CHAIN,
      sender: SENDER,
      nonce: 5,
      hash: expected.hash,
      raw: expected.raw,
      maxFeePerGas: expected.maxFeePerGas,
      maxPriorityFeePerGas: expected.maxPriorityFeePerGas,
      status: 'signed',
      replaces: null,
      createdAt: NOW + 1,
      broadcastAt: null,
      blockNumber: null,
      blockHash: null,
      gasUsed: null,
      effectiveGasPrice: null,
    });
    expect(s.calls).toEqual([5]);
    expect(await store.getBatch(b1)).toMatchObject({ status: 'sent', txHash: expected.hash, updatedAt: NOW + 1 });
    expect(await nextNonce(db)).toBe(6);

    await store.stop();
    store = await started(db);
    const [b2, b3, b4, b5] = [await pendingBatch(db, store), await pendingBatch(db, store), await pendingBatch(db, store), await pendingBatch(db, store)];
    const sign = signer().sign;
    // The stored nonce wins over a node that has not seen the transaction yet, the node over a stale store.
    expect((await store.recordSigned({ batchId: b2, chainId: CHAIN, sender: SENDER, chainNonce: 0, sign, now: NOW }))?.nonce).toBe(6);
    expect((await store.recordSigned({ batchId: b3, chainId: CHAIN, sender: SENDER, chainNonce: 10, sign, now: NOW }))?.nonce).toBe(10);
    expect((await store.recordSigned({ batchId: b4, chainId: CHAIN, sender: OTHER, chainNonce: 0, sign, now: NOW }))?.nonce).toBe(0);
    expect((await store.recordSigned({ batchId: b5, chainId: 11_155_111, sender: SENDER, chainNonce: 3, sign, now: NOW }))?.nonce).toBe(3);
    expect(await nextNonce(db)).toBe(11);
    expect((await store.liveTxs()).map((t) => [t.sender === SENDER ? 'S' : 'O', t.nonce])).toEqual([
      ['O', 0],
      ['S', 3],
      ['S', 5],
      ['S', 6],
      ['S', 10],
    ]);
  });

  it('signs only a pending batch, and a failed sign leaves no trace: no transaction, batch pending, nonce not advanced', async () => {
    const db = await fresh();
    const store = await started(db);
    const s = signer();
    const request = (batchId: number, sign = s.sign, sender = SENDER): Parameters<AnchorStore['recordSigned']>[0] => ({
      batchId,
      chainId: CHAIN,
      sender,
      chainNonce: 0,
      sign,
      now: NOW,
    });

    await db.ingest('gw-a', [1000], T0);
    const building = await store.claimBatch({ periodStart: null, periodEnd: T0 + 1, now: NOW });
    expect(await store.recordSigned(request(building?.id ?? -1))).toBeUndefined();
    expect(await store.recordSigned(request(9_999))).toBeUndefined();
    expect(s.calls).toEqual([]);

    const b1 = await pendingBatch(db, store);
    const failure = new Error('the key is gone');
    await expect(store.recordSigned(request(b1, async () => Promise.reject(failure), OTHER))).rejects.toBe(failure);
    await expect(store.recordSigned(request(b1, async (nonce) => signedTx(nonce + 1)))).rejects.toMatchObject({ code: STORE_ANCHOR_REFUSED });
    expect(await store.txsOfBatch(b1)).toEqual([]);
    expect(await store.getBatch(b1)).toMatchObject({ status: 'pending', txHash: null });
    expect(await nextNonce(db, OTHER)).toBeUndefined();
    expect(await nextNonce(db)).toBeUndefined();

    expect((await store.recordSigned(request(b1)))?.nonce).toBe(0);
    expect(await store.recordSigned(request(b1))).toBeUndefined();
    expect(s.calls).toEqual([0]);
    expect(await store.txsOfBatch(b1)).toHaveLength(1);
  });

  it('a replacement keeps the nonce and supersedes the old transaction; only a live one can be replaced', async () => {
    const db = await fresh();
    const store = await started(db);
    const b = await pendingBatch(db, store);
    const t1 = await store.recordSigned({ batchId: b, chainId: CHAIN, sender: SENDER, chainNonce: 7, sign: signer().sign, now: NOW });
    if (t1 === undefined) throw new Error('not signed');
    await store.markBroadcast(t1.id, NOW + 1);
    await store.markBroadcast(t1.id, NOW + 2);
    expect((await store.txsOfBatch(b))[0]).toMatchObject({ status: 'broadcast', broadcastAt: NOW + 1 });

    const bumped = signedTx(7, '34500000000', '1150000000');
    const t2 = await store.recordReplacement(t1.id, bumped, NOW + 3);
    expect(t2).toMatchObject({
      batchId: b,
      nonce: 7,
      hash: bumped.hash,
      raw: bumped.raw,
      maxFeePerGas: '34500000000',
      status: 'signed',
      replaces: t1.id,
      createdAt: NOW + 3,
    });
    expect((await store.txsOfBatch(b)).map((t) => [t.id, t.status])).toEqual([
      [t1.id, 'replaced'],
      [t2.id, 'signed'],
    ]);
    expect(await store.liveTxs()).toEqual([t2]);
    expect(await store.getBatch(b)).toMatchObject({ status: 'sent', txHash: bumped.hash });
    expect(await nextNonce(db)).toBe(8);

    for (const [id, signed] of [
      [t1.id, signedTx(7, '40000000000')],
      [t2.id, signedTx(8, '40000000000')],
      [t2.id + 100, signedTx(7, '40000000000')],
    ] as const) {
      await expect(store.recordReplacement(id, signed, NOW + 4)).rejects.toMatchObject({ code: STORE_ANCHOR_REFUSED });
    }
    expect(await store.txsOfBatch(b)).toHaveLength(2);
    await expect(store.markMined(t2.id + 100, mined(), NOW)).rejects.toMatchObject({ code: STORE_ANCHOR_REFUSED });
  });

  it('a receipt settles the batch: siblings replaced, block, gas and cost recorded, receipt and block kept; then confirmed', async () => {
    const db = await fresh();
    const store = await started(db);
    const b = await pendingBatch(db, store);
    const t1 = await store.recordSigned({ batchId: b, chainId: CHAIN, sender: SENDER, chainNonce: 0, sign: signer().sign, now: NOW });
    if (t1 === undefined) throw new Error('not signed');
    await store.markBroadcast(t1.id, NOW);
    const t2 = await store.recordReplacement(t1.id, signedTx(0, '40000000000', '2000000000'), NOW + 1);
    await store.markBroadcast(t2.id, NOW + 1);

    // The first one was mined after all (the replacement came too late).
    await store.markMined(t1.id, mined(), NOW + 20_000);
    expect((await store.txsOfBatch(b)).map((t) => t.status)).toEqual(['mined', 'replaced']);
    expect((await store.txsOfBatch(b))[0]).toMatchObject({
      blockNumber: 1234,
      blockHash: `0x${'b'.repeat(64)}`,
      gasUsed: 24_000,
      effectiveGasPrice: '1000000000000000',
    });
    expect(await store.getBatch(b)).toMatchObject({
      status: 'mined',
      txHash: t1.hash,
      blockNumber: 1234,
      blockHash: `0x${'b'.repeat(64)}`,
      blockTime: NOW + 12_000,
      gasUsed: 24_000,
      costWei: '24000000000000000000',
      confirmedAt: null,
      updatedAt: NOW + 20_000,
    });
    expect(await store.txEvidence(t1.id)).toEqual({ receipt: '{"status":"0x1"}', block: '{"number":"0x4d2"}' });
    expect(await store.txEvidence(t2.id)).toBeUndefined();
    expect(await store.liveTxs()).toEqual([]);

    await store.markConfirmed(b, NOW + 200_000);
    expect(await store.getBatch(b)).toMatchObject({ status: 'confirmed', confirmedAt: NOW + 200_000 });
    const pending = await pendingBatch(db, store);
    await store.markConfirmed(pending, NOW);
    expect((await store.getBatch(pending))?.status).toBe('pending');
  });

  it('a reorg sends the batch back to sent and its transaction back to broadcast, counted once per reorg', async () => {
    const db = await fresh();
    const store = await started(db);
    const b = await pendingBatch(db, store);
    const tx = await store.recordSigned({ batchId: b, chainId: CHAIN, sender: SENDER, chainNonce: 0, sign: signer().sign, now: NOW });
    if (tx === undefined) throw new Error('not signed');
    await store.markBroadcast(tx.id, NOW);
    await store.markMined(tx.id, mined(), NOW + 1);
    await store.markConfirmed(b, NOW + 2);

    await store.markReorged(b, tx.id, NOW + 3);
    await store.markReorged(b, tx.id, NOW + 4);
    expect(await store.getBatch(b)).toMatchObject({
      status: 'sent',
      txHash: tx.hash,
      blockNumber: null,
      blockHash: null,
      blockTime: null,
      gasUsed: null,
      costWei: null,
      confirmedAt: null,
      reorgs: 1,
      updatedAt: NOW + 3,
    });
    expect(await store.liveTxs()).toEqual([{ ...tx, status: 'broadcast', broadcastAt: NOW }]);
    expect(await store.txEvidence(tx.id)).toBeUndefined();

    await store.markMined(tx.id, mined({ blockNumber: 1240, blockHash: `0x${'c'.repeat(64)}` }), NOW + 5);
    expect(await store.getBatch(b)).toMatchObject({ status: 'mined', blockNumber: 1240, reorgs: 1 });
    await store.markReorged(b, tx.id, NOW + 6);
    expect(await store.getBatch(b)).toMatchObject({ status: 'sent', reorgs: 2 });
  });

  it("abandoning a batch's live transactions returns it to pending, to be signed on a new nonce", async () => {
    const db = await fresh();
    const store = await started(db);
    const b = await pendingBatch(db, store);
    const t1 = await store.recordSigned({ batchId: b, chainId: CHAIN, sender: SENDER, chainNonce: 4, sign: signer().sign, now: NOW });
    if (t1 === undefined) throw new Error('not signed');
    const t2 = await store.recordReplacement(t1.id, signedTx(4, '40000000000'), NOW + 1);
    await store.markBroadcast(t2.id, NOW + 1);

    await store.abandonTxs(b, NOW + 2);
    expect((await store.txsOfBatch(b)).map((t) => t.status)).toEqual(['replaced', 'abandoned']);
    expect(await store.getBatch(b)).toMatchObject({ status: 'pending', updatedAt: NOW + 2 });
    expect(await store.liveTxs()).toEqual([]);
    const t3 = await store.recordSigned({ batchId: b, chainId: CHAIN, sender: SENDER, chainNonce: 5, sign: signer().sign, now: NOW + 3 });
    expect(t3).toMatchObject({ nonce: 5, status: 'signed', replaces: null });
  });

  it('two relays signing at once hand out each nonce once and sign each batch once', async () => {
    const db = await fresh();
    const [a, b] = [await started(db), await started(db)];
    const batches: number[] = [];
    for (let i = 0; i < 6; i++) batches.push(await pendingBatch(db, a));
    const sign = signer().sign;
    const attempts = batches.flatMap((batchId) =>
      [a, b].map((store) => store.recordSigned({ batchId, chainId: CHAIN, sender: SENDER, chainNonce: 0, sign, now: NOW })),
    );
    const txs = (await Promise.all(attempts)).filter((t) => t !== undefined);
    expect(txs.map((t) => t.batchId).sort((x, y) => x - y)).toEqual(batches);
    expect(txs.map((t) => t.nonce).sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(await nextNonce(db)).toBe(6);
  });
});
