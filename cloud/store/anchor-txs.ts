/**
 * The two writes that put a signed transaction in the store: a first one, on a nonce allocated in
 * the same transaction, and a replacement on the nonce of the one it replaces. The raw bytes are
 * committed before the caller broadcasts anything (docs/anchoring.md#transactions), so a relay that
 * dies after broadcasting still knows the nonce is taken and what to watch for.
 */
import { ANCHOR_SQL as SQL } from './anchor-sql.ts';
import type { AnchorStore, AnchorTx, BatchStatus, SignedTx } from './anchor-types.ts';
import { anchorRefused } from './errors.ts';
import { forUpdate, type Query, type SqlExecutor } from './sql-executor.ts';

export type RecordSignedInput = Parameters<AnchorStore['recordSigned']>[0];

/**
 * The batch's row and then the sender's nonce row are locked for the whole transaction
 * (PostgreSQL: FOR UPDATE and the upsert's row lock; SQLite: BEGIN IMMEDIATE), in that order
 * everywhere, so two relays can neither sign one batch twice nor hand out one nonce twice.
 * `sign` runs with those locks held: it must only sign (no network, no call on this store; on
 * SQLite every other statement of the relay waits meanwhile, on its one connection). Its failure rolls everything back and is
 * thrown as it was, not as a store error.
 */
export async function recordSigned(db: SqlExecutor, input: RecordSignedInput): Promise<AnchorTx | undefined> {
  let signFailure: { readonly err: unknown } | undefined;
  try {
    return await db.transaction('recordSigned', async (q) => {
      const batch = (await q<{ status: BatchStatus }>(forUpdate(SQL.batchStatus, db.dialect), [input.batchId])).rows[0];
      if (batch?.status !== 'pending') return undefined;
      const { nonce } = (await q<{ nonce: number }>(SQL.allocateNonce, [input.chainId, input.sender, input.chainNonce])).rows[0] as { nonce: number };
      let signed: SignedTx;
      try {
        signed = await input.sign(nonce);
      } catch (err) {
        signFailure = { err };
        throw err;
      }
      if (signed.nonce !== nonce)
        throw anchorRefused('recordSigned', 'signed with another nonce than the one allocated', { allocated: nonce, signed: signed.nonce });
      const tx = await insertTx(q, input, signed, null, input.now);
      await q(SQL.setNextNonce, [input.chainId, input.sender, nonce + 1]);
      await q(SQL.batchSent, [input.batchId, signed.hash, input.now]);
      return tx;
    });
  } catch (err) {
    throw signFailure === undefined ? err : signFailure.err;
  }
}

/** Only a live transaction (signed, broadcast) can be replaced, and only on its own nonce. */
export function recordReplacement(db: SqlExecutor, oldTxId: number, signed: SignedTx, now: number): Promise<AnchorTx> {
  return db.transaction('recordReplacement', async (q) => {
    const old = (await q<AnchorTx>(forUpdate(SQL.tx, db.dialect), [oldTxId])).rows[0];
    if (old === undefined) throw anchorRefused('recordReplacement', 'unknown transaction', { txId: oldTxId });
    if (old.status !== 'signed' && old.status !== 'broadcast')
      throw anchorRefused('recordReplacement', `transaction is ${old.status}`, { txId: oldTxId, status: old.status });
    if (signed.nonce !== old.nonce)
      throw anchorRefused('recordReplacement', 'a replacement must keep the nonce', { txId: oldTxId, nonce: old.nonce, signed: signed.nonce });
    await q(SQL.txReplaced, [old.id]);
    const tx = await insertTx(q, old, signed, old.id, now);
    await q(SQL.followTxHash, [old.batchId, signed.hash, now]);
    return tx;
  });
}

async function insertTx(
  q: Query,
  owner: { readonly batchId: number; readonly chainId: number; readonly sender: string },
  signed: SignedTx,
  replaces: number | null,
  now: number,
): Promise<AnchorTx> {
  const params = [
    owner.batchId,
    owner.chainId,
    owner.sender,
    signed.nonce,
    signed.hash,
    signed.raw,
    signed.maxFeePerGas,
    signed.maxPriorityFeePerGas,
    replaces,
    now,
  ];
  return (await q<AnchorTx>(SQL.insertTx, params)).rows[0] as AnchorTx;
}
