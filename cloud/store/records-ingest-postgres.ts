/**
 * The ingest transaction's body on PostgreSQL, over the partitioned `records` of records v2
 * (migrations-records-v2.ts). A partitioned table cannot hold a unique (gateway, seq) (its unique
 * indexes must contain the partition key), so exactly-once is this body's, by one rule: **every
 * transaction that writes a gateway's records first locks that gateway's row** (`SELECT … FOR
 * UPDATE`) and raises its `highest_seq` to the batch's highest before it commits.
 *
 * With the lock held, no other transaction is writing this gateway's records, and every record of
 * it already committed has a seq ≤ the `highest_seq` the lock read (READ COMMITTED: the locking
 * read returns the row's latest committed version, and each later statement takes a new snapshot
 * that sees every record the previous holders committed). So:
 *
 * - a batch whose seqs are all above `highest_seq` (what a gateway sends, but for resends) is new
 *   in full: one COPY, no lookups;
 * - otherwise the stored hashes of the batch's seqs ≤ `highest_seq` are looked up across the
 *   partitions (`records_gateway_seq`): a seq stored with the same hash is a duplicate, with
 *   another a conflict (the batch stores nothing and one integrity alarm per conflicting seq is
 *   recorded), and the rest, gaps below `highest_seq` included, is COPYed.
 *
 * Two relays ingesting one gateway wait on the one row lock, in the order they asked; each
 * transaction locks one gateway row, so they cannot deadlock. docs/storage.md#records-on-postgresql-partitions-and-exactly-once.
 */
import { hashHex, kindCode, qualityCode } from './records-codec.ts';
import type { IngestBody, IngestResult } from './records-ingest.ts';
import { POSTGRES_RECORDS_SQL as PG } from './records-sql.ts';
import { type Conflict, encodeAlarm, type IngestRecord, offsetMs } from './rows.ts';
import { copyField } from './sql-postgres-copy.ts';
import type { IngestInput } from './types.ts';

export const ingestPostgres: IngestBody = async (q, _many, copy, input, batch) => {
  const locked = await q<{ highest_seq: number | null }>(PG.lockGateway, [input.gateway]);
  const highest = locked.rows[0]?.highest_seq ?? null;
  const first = batch[0];
  let fresh: readonly IngestRecord[] = batch;
  if (highest !== null && first !== undefined && first.seq <= highest) {
    const { conflicts, unseen } = await compareHeld(q, input, batch, highest);
    if (conflicts.length > 0) return conflicted(q, input, conflicts);
    fresh = unseen;
  }
  const stored = fresh.length === 0 ? 0 : await copy(PG.copyRecords, copyText(input, fresh));
  const maxSeq = batch[batch.length - 1]?.seq ?? null;
  // The span (anchoring's unclaimed records) commits with its records or not at all.
  const span = [fresh[0]?.seq ?? null, fresh[fresh.length - 1]?.seq ?? null];
  const updated = await q<{ highest_seq: number | null }>(PG.updateGatewayWithSpan, [input.gateway, input.now, maxSeq, offsetMs(input), stored, ...span]);
  return { outcome: { ok: true, stored, duplicates: batch.length - stored, highestSeq: updated.rows[0]?.highest_seq ?? 0 }, conflicts: [] };
};

/** The batch's seqs ≤ highest looked up: those stored with another hash, and the records not stored at all. */
async function compareHeld(
  q: Parameters<IngestBody>[0],
  input: IngestInput,
  batch: readonly IngestRecord[],
  highest: number,
): Promise<{ conflicts: Conflict[]; unseen: IngestRecord[] }> {
  const held = batch.filter((r) => r.seq <= highest).map((r) => r.seq);
  const rows = (await q<{ seq: number; hash: Uint8Array }>(PG.storedHashes, [input.gateway, held])).rows;
  const stored = new Map(rows.map((r) => [r.seq, hashHex(r.hash)]));
  const conflicts: Conflict[] = [];
  const unseen: IngestRecord[] = [];
  for (const r of batch) {
    const existingHash = stored.get(r.seq);
    if (existingHash === undefined) unseen.push(r);
    else if (existingHash !== r.hash) conflicts.push({ seq: r.seq, existingHash, offeredHash: r.hash });
  }
  return { conflicts, unseen };
}

async function conflicted(q: Parameters<IngestBody>[0], input: IngestInput, conflicts: Conflict[]): Promise<IngestResult> {
  await q(PG.insertIntegrityAlarms, [
    input.gateway,
    conflicts.map((c) => c.seq),
    conflicts.map((c) => c.existingHash),
    conflicts.map((c) => c.offeredHash),
    input.now,
  ]);
  return { outcome: { ok: false, conflicts: conflicts.map((c) => c.seq) }, conflicts };
}

/** The records as COPY text, one line each in POSTGRES_COPY_COLUMNS order (records-sql.ts). */
export function copyText(input: IngestInput, batch: readonly IngestRecord[]): string {
  const gateway = copyField(input.gateway);
  const now = String(input.now);
  let text = '';
  for (const r of batch) {
    // bytea's hex input is `\x…`; COPY's text format wants the backslash doubled.
    text +=
      `${gateway}\t${r.seq}\t${kindCode(r.kind)}\t${copyField(r.device)}\t${copyField(r.channel)}\t${copyField(r.value)}\t${copyField(r.unit)}\t` +
      `${qualityCode(r.quality)}\t${copyField(r.exception)}\t${r.ts}\t${copyField(r.tsCorrected)}\t${r.mono}\t${copyField(r.bootId)}\t${r.priority}\t` +
      `${r.flags}\t${copyField(encodeAlarm(r.alarm))}\t${now}\t\\\\x${r.hash}\n`;
  }
  return text;
}
