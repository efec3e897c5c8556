/**
 * The body of one ingest transaction, per backend (records-store.ts opens the transaction and
 * checks the gateway first). Both record new (gateway, seq) keys, count identical ones as
 * duplicates, and when a key is held with another hash store nothing of the batch and record one
 * integrity alarm per conflicting seq in the same transaction. PostgreSQL's body is
 * records-ingest-postgres.ts.
 */

import { hashBytes, hashHex, kindCode, qualityCode } from './records-codec.ts';
import { ingestPostgres } from './records-ingest-postgres.ts';
import { SQLITE_RECORDS_SQL as LITE } from './records-sql.ts';
import { type Conflict, encodeAlarm, type IngestRecord, offsetMs } from './rows.ts';
import type { CopyFrom, Dialect, Query, QueryMany } from './sql-executor.ts';
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
