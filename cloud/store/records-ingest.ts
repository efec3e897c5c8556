/**
 * The body of one ingest transaction, per backend (records-store.ts opens the transaction and
 * checks the gateway first). Both record new (gateway, seq) keys, count identical ones as
 * duplicates, and when a key is held with another hash roll the batch back to a savepoint and
 * record one integrity alarm per conflicting seq in the same transaction.
 */

import { hashBytes, hashHex, kindCode, qualityCode } from './records-codec.ts';
import { SQLITE_RECORDS_SQL as LITE, POSTGRES_RECORDS_SQL as PG } from './records-sql.ts';
import { type Conflict, encodeAlarm, type IngestRecord, offsetMs } from './rows.ts';
import type { CopyFrom, Dialect, Query, QueryMany } from './sql-executor.ts';
import { copyField } from './sql-postgres-copy.ts';
import type { IngestInput, IngestOutcome } from './types.ts';

export type IngestResult = { readonly outcome: IngestOutcome; readonly conflicts: readonly Conflict[] };

export type IngestBody = (q: Query, many: QueryMany, copy: CopyFrom, input: IngestInput, batch: readonly IngestRecord[]) => Promise<IngestResult>;

export function ingestBody(dialect: Dialect): IngestBody {
  return dialect === 'postgres' ? ingestPostgres : ingestSqlite;
}

/**
 * One INSERT per record (prepared once); the keys ON CONFLICT skipped are compared with their
 * stored hashes. The stored records get one unanchored span (records-sql.ts SQLITE_CLAIM).
 */
async function ingestSqlite(q: Query, many: QueryMany, _copy: CopyFrom, input: IngestInput, batch: readonly IngestRecord[]): Promise<IngestResult> {
  await q('SAVEPOINT batch', []);
  const rows = batch.map((r) => sqliteRow(input, r));
  const inserted = await many(LITE.insertRecord, rows);
  const skipped = batch.filter((_, i) => inserted[i]?.count !== 1);
  const stored = batch.length - skipped.length;
  const storedHashes = await many<{ hash: Uint8Array }>(
    LITE.recordHash,
    skipped.map((r) => [input.gateway, r.seq]),
  );
  const conflicts: Conflict[] = [];
  skipped.forEach((r, i) => {
    const existingHash = hashHex(storedHashes[i]?.rows[0]?.hash as Uint8Array);
    if (existingHash !== r.hash) conflicts.push({ seq: r.seq, existingHash, offeredHash: r.hash });
  });
  if (conflicts.length > 0) {
    await q('ROLLBACK TO SAVEPOINT batch', []);
    await q('RELEASE SAVEPOINT batch', []);
    await many(
      LITE.insertIntegrityAlarm,
      conflicts.map((c) => [input.gateway, c.seq, c.existingHash, c.offeredHash, input.now]),
    );
    return { outcome: { ok: false, conflicts: conflicts.map((c) => c.seq) }, conflicts };
  }
  await q('RELEASE SAVEPOINT batch', []);
  const maxSeq = batch[batch.length - 1]?.seq ?? null;
  if (stored > 0) await q(LITE.insertSpan, [input.gateway, input.now, batch[0]?.seq, maxSeq, stored]);
  const updated = await q<{ highest_seq: number | null }>(LITE.updateGateway, [input.gateway, input.now, maxSeq, offsetMs(input), stored]);
  return { outcome: { ok: true, stored, duplicates: batch.length - stored, highestSeq: updated.rows[0]?.highest_seq ?? 0 }, conflicts };
}

/** SQLSTATE unique_violation: a COPY met a (gateway, seq) already stored. */
const UNIQUE_VIOLATION = '23505';

/**
 * First a bare COPY of the whole batch into `records` (about twice as fast as the INSERT below,
 * issue 18): it succeeds only when every key is new, which is what a gateway sends but for
 * resends. When a key is held (committed, or by another relay's transaction, which the COPY waits
 * for), the COPY fails with a unique violation, is rolled back to the savepoint, and the batch
 * takes the INSERT … ON CONFLICT path below, which tells duplicates from conflicts.
 *
 * That path is one multi-row INSERT … ON CONFLICT DO NOTHING for the whole batch and, when it skipped keys,
 * one comparison of the offered hashes with the stored ones. Under READ COMMITTED this is
 * race-free across relays: an insert that meets a key another transaction has inserted but not
 * committed waits for that transaction (docs/storage.md#upserts-and-conflicts);
 * if it commits the key is skipped, and the following SELECT, which takes a new snapshot, sees its
 * row and hash, so two relays inserting the same new key with different content end with one
 * stored and the other reporting a conflict. Keys are inserted in ascending seq and the gateway
 * row is updated last, so two relays' overlapping batches wait on each other in one order and
 * never deadlock. The isolation level is explicit (sql-postgres.ts): under REPEATABLE READ the
 * SELECT could not see the other relay's row.
 */
async function ingestPostgres(q: Query, _many: QueryMany, copy: CopyFrom, input: IngestInput, batch: readonly IngestRecord[]): Promise<IngestResult> {
  await q('SAVEPOINT batch', []);
  const stored = (await copyAllNew(q, copy, input, batch)) ?? (await q(PG.insertRecords, insertRecordsParams(input, batch))).count;
  // Rows this transaction inserted carry the offered hash, so comparing every offered hash with
  // the stored one finds exactly the keys held with other content.
  const conflicts = stored === batch.length ? [] : (await q<Conflict>(PG.conflicts, [input.gateway, batch.map((r) => r.seq), batch.map((r) => r.hash)])).rows;
  if (conflicts.length > 0) {
    await q('ROLLBACK TO SAVEPOINT batch', []);
    await q(PG.insertIntegrityAlarms, [
      input.gateway,
      conflicts.map((c) => c.seq),
      conflicts.map((c) => c.existingHash),
      conflicts.map((c) => c.offeredHash),
      input.now,
    ]);
    return { outcome: { ok: false, conflicts: conflicts.map((c) => c.seq) }, conflicts };
  }
  const maxSeq = batch[batch.length - 1]?.seq ?? null;
  const updated = await q<{ highest_seq: number | null }>(PG.updateGateway, [input.gateway, input.now, maxSeq, offsetMs(input), stored]);
  return { outcome: { ok: true, stored, duplicates: batch.length - stored, highestSeq: updated.rows[0]?.highest_seq ?? 0 }, conflicts };
}

/** The batch's row count when COPY stored every record, undefined (rolled back to the savepoint) when a key was held. */
async function copyAllNew(q: Query, copy: CopyFrom, input: IngestInput, batch: readonly IngestRecord[]): Promise<number | undefined> {
  try {
    return await copy(PG.copyRecords, copyText(input, batch));
  } catch (err) {
    if ((err as { code?: unknown } | null)?.code !== UNIQUE_VIOLATION) throw err;
    await q('ROLLBACK TO SAVEPOINT batch', []);
    return undefined;
  }
}

/** The batch as COPY text, one line per record in RECORD_COLUMNS order. */
function copyText(input: IngestInput, batch: readonly IngestRecord[]): string {
  const gateway = copyField(input.gateway);
  const now = String(input.now);
  let text = '';
  for (const r of batch) {
    text +=
      `${gateway}\t${r.seq}\t${copyField(r.kind)}\t${copyField(r.device)}\t${copyField(r.channel)}\t${copyField(r.value)}\t${copyField(r.unit)}\t` +
      `${copyField(r.quality)}\t${copyField(r.exception)}\t${r.ts}\t${copyField(r.tsCorrected)}\t${r.mono}\t${copyField(r.bootId)}\t${r.priority}\t` +
      `${r.flags}\t${copyField(encodeAlarm(r.alarm))}\t${now}\t${copyField(r.hash)}\n`;
  }
  return text;
}

/** Parameters of insertRecords: the gateway, the receive time, then one array per column. */
function insertRecordsParams(input: IngestInput, batch: readonly IngestRecord[]): unknown[] {
  const n = batch.length;
  const columns = Array.from({ length: 16 }, () => new Array<unknown>(n));
  for (let i = 0; i < n; i++) {
    const r = batch[i] as IngestRecord;
    const values = recordValues(r);
    for (let c = 0; c < values.length; c++) (columns[c] as unknown[])[i] = values[c];
    (columns[15] as unknown[])[i] = r.hash;
  }
  return [input.gateway, input.now, ...columns];
}

/** A record as SQLite's insertRecord binds it, RECORD_COLUMNS order: kind, quality and hash narrow (records v2). */
function sqliteRow(input: IngestInput, r: IngestRecord): unknown[] {
  return [
    input.gateway,
    r.seq,
    kindCode(r.kind),
    r.device,
    r.channel,
    r.value,
    r.unit,
    qualityCode(r.quality),
    r.exception,
    r.ts,
    r.tsCorrected,
    r.mono,
    r.bootId,
    r.priority,
    r.flags,
    encodeAlarm(r.alarm),
    input.now,
    hashBytes(r.hash),
  ];
}

/**
 * A record's columns from seq to alarm, in the table's order (the inserts put the gateway before
 * and the receive time and hash after). The COPY text lists the same columns inline.
 */
function recordValues(r: IngestRecord): unknown[] {
  return [
    r.seq,
    r.kind,
    r.device,
    r.channel,
    r.value,
    r.unit,
    r.quality,
    r.exception,
    r.ts,
    r.tsCorrected,
    r.mono,
    r.bootId,
    r.priority,
    r.flags,
    encodeAlarm(r.alarm),
  ];
}
