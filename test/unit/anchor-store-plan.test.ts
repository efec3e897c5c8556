import { describe, expect, it } from 'vitest';
import { ANCHOR_SQL, listBatchesSql } from '../../cloud/store/anchor-sql.ts';
import { SQLITE_RECORDS_SQL } from '../../cloud/store/records-sql.ts';
import { relayPlanDb } from '../helpers/relay-plan-db.ts';

/**
 * The anchoring statements on records reach them through an index (EXPLAIN QUERY PLAN says
 * SEARCH … USING …, docs/storage.md#query-plans): the claim and the unclaimed count walk only the
 * unclaimed records, a batch's leaves come off records_anchor_batch in leaf order, and a leaf's
 * index is counted on that index alone. None of them reads the records table from end to end.
 */
const { plan } = relayPlanDb();

// PostgreSQL-only lock statements: SQLite's BEGIN IMMEDIATE serializes writers instead. SQLite
// counts the unclaimed records with unclaimedSpans (records v2).
const POSTGRES_ONLY = new Set(['claimLock', 'errorsLock']);
const statements = Object.entries(ANCHOR_SQL).filter(([name]) => !POSTGRES_ONLY.has(name));

describe('anchor store (SQLite) query plans', () => {
  it.each(statements)('%s never scans records', (_name, sql) => {
    expect(plan(sql).filter((d) => /^SCAN records\b/.test(d))).toEqual([]);
  });

  // Records v2: SQLite finds the unclaimed records through unanchored_spans, one row per ingest, and
  // each span's records through the primary key (migrations-records-v2.ts).
  it.each([
    ['claimBefore', SQLITE_RECORDS_SQL.claimBefore, /^SEARCH u USING INDEX unanchored_spans_received \(received_at<\?\)$/],
    ['claimBetween', SQLITE_RECORDS_SQL.claimBetween, /^SEARCH u USING INDEX unanchored_spans_received \(received_at>\? AND received_at<\?\)$/],
  ])('%s walks the spans received in the period and each span by primary key', (_name, sql, spans) => {
    const details = plan(sql);
    expect(details).toHaveLength(2);
    expect(details[0]).toMatch(spans);
    expect(details[1]).toBe('SEARCH records USING PRIMARY KEY (gateway=? AND seq>? AND seq<?)');
  });

  it('the unclaimed count and the claimed spans use the spans index', () => {
    expect(plan(ANCHOR_SQL.unclaimedSpans)).toEqual(['SEARCH unanchored_spans USING INDEX unanchored_spans_received (received_at<?)']);
    expect(plan(SQLITE_RECORDS_SQL.claimedBefore)).toEqual(['SEARCH unanchored_spans USING INDEX unanchored_spans_received (received_at<?)']);
    expect(plan(SQLITE_RECORDS_SQL.claimedBetween)).toEqual([
      'SEARCH unanchored_spans USING INDEX unanchored_spans_received (received_at>? AND received_at<?)',
    ]);
  });

  // PostgreSQL's claim and unclaimed count (records_unanchored) are checked in its own plan tests.
  const onRecordsSql = ANCHOR_SQL;
  const onRecords: Array<[keyof typeof onRecordsSql, RegExp]> = [
    ['leavesFirst', /^SEARCH records USING INDEX records_anchor_batch \(anchor_batch=\?\)$/],
    ['leavesAfter', /^SEARCH records USING INDEX records_anchor_batch \(anchor_batch=\? AND \(gateway,seq\)>\(\?,\?\)\)$/],
    ['leafIndex', /^SEARCH records USING COVERING INDEX records_anchor_batch \(anchor_batch=\? AND \(gateway,seq\)<\(\?,\?\)\)$/],
    ['recordWithBatch', /^SEARCH records USING PRIMARY KEY \(gateway=\? AND seq=\?\)$/],
  ];

  it.each(onRecords)('%s uses its index and sorts nothing', (name, expected) => {
    const details = plan(onRecordsSql[name]);
    expect(details).toHaveLength(1);
    expect(details[0]).toMatch(expected);
  });

  it("the engine's per-tick reads of transactions and batches use their indexes", () => {
    expect(plan(ANCHOR_SQL.liveTxs)).toEqual(['SCAN anchor_txs USING INDEX anchor_txs_live']);
    expect(plan(ANCHOR_SQL.txsOfBatch)).toEqual(['SEARCH anchor_txs USING INDEX anchor_txs_batch (batch_id=?)']);
    expect(plan(ANCHOR_SQL.lastPeriodEnd)).toEqual(['SEARCH anchor_batches USING COVERING INDEX anchor_batches_period_end']);
    expect(plan(listBatchesSql(['sent'], true))).toEqual(['SEARCH anchor_batches USING INDEX anchor_batches_status (status=? AND id<?)']);
  });
});
