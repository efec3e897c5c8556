/**
 * The records store's SQL (records-store.ts): gateways, nonces, records and integrity alarms, and
 * the anchoring claim, the only statement that changes a stored record. Parameters are `$1…$n`
 * for both backends (sql-executor.ts); where the dialects differ (a batch insert, max() of two
 * values) each has its own text. The SQLite statements that run per record or per request are
 * checked with EXPLAIN QUERY PLAN in test/unit/store-sqlite-plan.test.ts, the claim in
 * test/unit/anchor-store-plan.test.ts.
 */
import { GATEWAY_COLUMNS, RECORD_COLUMNS } from './rows.ts';

const COMMON = {
  // Inserts nothing for an unknown organization (SQLite's column has no foreign key: migrations-orgs.ts).
  insertGateway: `INSERT INTO gateways (id, secret_ciphertext, created_at, org_id)
    SELECT $1, $2, $3, $4 WHERE EXISTS (SELECT 1 FROM organizations WHERE id = $4) ON CONFLICT (id) DO NOTHING`,
  hasOrg: 'SELECT 1 AS present FROM organizations WHERE id = $1',
  getGateway: `SELECT ${GATEWAY_COLUMNS} FROM gateways WHERE id = $1`,
  listGateways: `SELECT ${GATEWAY_COLUMNS} FROM gateways ORDER BY id`,
  // An organization's gateways (issue 15): a range of the index gateways_org, already in id order.
  listOrgGateways: `SELECT ${GATEWAY_COLUMNS} FROM gateways WHERE org_id = $1 ORDER BY id`,
  hasGateway: 'SELECT 1 AS present FROM gateways WHERE id = $1',
  // Claims a new nonce, or takes over an expired one that was not pruned yet; on PostgreSQL a
  // concurrent claim of the same nonce waits for this one and then finds it unexpired.
  claimNonce: `INSERT INTO nonces (gateway, nonce, expires_at) VALUES ($1, $2, $3)
    ON CONFLICT (gateway, nonce) DO UPDATE SET expires_at = excluded.expires_at WHERE nonces.expires_at <= $4`,
  pruneNonces: 'DELETE FROM nonces WHERE expires_at <= $1',
  listIntegrityAlarms: 'SELECT id, gateway, seq, existing_hash, offered_hash, at FROM integrity_alarms ORDER BY id DESC LIMIT $1',
  listOrgIntegrityAlarms: `SELECT id, gateway, seq, existing_hash, offered_hash, at FROM integrity_alarms
    WHERE gateway IN (SELECT id FROM gateways WHERE org_id = $2) ORDER BY id DESC LIMIT $1`,
} as const;

/**
 * SQLite's side of anchoring's claim (records-store.ts markAnchorBatch): the records of the
 * unanchored spans received before $2 (and from $3) become leaves of batch $1, then those spans go.
 * A span's records share its receive time, so the claim takes exactly the records the one-statement
 * claim took before records v2, through the primary key of each span's seq range
 * (migrations-records-v2.ts).
 */
const SQLITE_CLAIM = {
  claimBefore: `UPDATE records SET anchor_batch = $1 FROM unanchored_spans u
    WHERE u.received_at < $2 AND records.gateway = u.gateway AND records.seq BETWEEN u.seq_from AND u.seq_to
      AND records.received_at = u.received_at AND records.anchor_batch IS NULL`,
  claimBetween: `UPDATE records SET anchor_batch = $1 FROM unanchored_spans u
    WHERE u.received_at < $2 AND u.received_at >= $3 AND records.gateway = u.gateway AND records.seq BETWEEN u.seq_from AND u.seq_to
      AND records.received_at = u.received_at AND records.anchor_batch IS NULL`,
  claimedBefore: 'DELETE FROM unanchored_spans WHERE received_at < $1',
  claimedBetween: 'DELETE FROM unanchored_spans WHERE received_at < $1 AND received_at >= $2',
  // One row per ingest that stored records (records-ingest.ts), in the batch's transaction.
  insertSpan: 'INSERT INTO unanchored_spans (gateway, received_at, seq_from, seq_to, records) VALUES ($1, $2, $3, $4, $5)',
} as const;

/** SQLite: one prepared INSERT per record (a statement costs microseconds in process). */
export const SQLITE_RECORDS_SQL = {
  ...COMMON,
  ...SQLITE_CLAIM,
  insertRecord: `INSERT INTO records (${RECORD_COLUMNS}) VALUES (${RECORD_COLUMNS.split(',')
    .map((_, i) => `$${i + 1}`)
    .join(', ')}) ON CONFLICT (gateway, seq) DO NOTHING`,
  recordHash: 'SELECT hash FROM records WHERE gateway = $1 AND seq = $2',
  // Multi-argument max() is NULL when an argument is: the coalesce keeps whichever side is known.
  updateGateway: `UPDATE gateways SET
      last_seen_at = coalesce(max(last_seen_at, $2), $2),
      highest_seq = coalesce(max(highest_seq, $3), highest_seq, $3),
      clock_offset_ms = $4,
      record_count = record_count + $5
    WHERE id = $1 RETURNING highest_seq`,
  insertIntegrityAlarm: 'INSERT INTO integrity_alarms (gateway, seq, existing_hash, offered_hash, at) VALUES ($1, $2, $3, $4, $5)',
} as const;

/**
 * The columns of the ingest's COPY text (records-ingest-postgres.ts copyText): RECORD_COLUMNS'
 * names; kind, quality and hash in their stored form (records-codec.ts).
 */
export const POSTGRES_COPY_COLUMNS = RECORD_COLUMNS;

/**
 * PostgreSQL (records v2, migrations-records-v2.ts): a batch is one COPY after the gateway row is
 * locked, and looks stored seqs up only when it reaches below the gateway's highest seq
 * (records-ingest-postgres.ts).
 */
export const POSTGRES_RECORDS_SQL = {
  ...COMMON,
  // Anchoring's claim (records-store.ts markAnchorBatch): the unanchored spans received before $2
  // (and from $3) are taken and their records become leaves of batch $1, in one statement, so the
  // spans deleted are exactly those whose records it marks: a span committed meanwhile (READ
  // COMMITTED) stays for the next claim. Each span is a range of records_gateway_seq per partition.
  claimBefore: `WITH taken AS (DELETE FROM unanchored_spans WHERE received_at < $2 RETURNING gateway, received_at, seq_from, seq_to)
    UPDATE records SET anchor_batch = $1 FROM taken u
    WHERE records.gateway = u.gateway AND records.seq BETWEEN u.seq_from AND u.seq_to AND records.received_at = u.received_at
      AND records.anchor_batch IS NULL`,
  claimBetween: `WITH taken AS (DELETE FROM unanchored_spans WHERE received_at < $2 AND received_at >= $3
      RETURNING gateway, received_at, seq_from, seq_to)
    UPDATE records SET anchor_batch = $1 FROM taken u
    WHERE records.gateway = u.gateway AND records.seq BETWEEN u.seq_from AND u.seq_to AND records.received_at = u.received_at
      AND records.anchor_batch IS NULL`,
  // Around the claim, in its transaction: the spans' records are reached by probes of
  // records_gateway_seq, a few per span, whatever the table's size. Left to itself the planner
  // hashes the spans and scans every partition (measured, a million records and 1,000 spans:
  // 80-225 ms against 10-14 ms by index), and a year of records would be read whole per claim.
  claimByIndex: ['SET LOCAL enable_hashjoin = off', 'SET LOCAL enable_mergejoin = off', 'SET LOCAL enable_seqscan = off'],
  claimPlanned: ['SET LOCAL enable_hashjoin TO DEFAULT', 'SET LOCAL enable_mergejoin TO DEFAULT', 'SET LOCAL enable_seqscan TO DEFAULT'],
  // The lock every writer of a gateway's records takes first: exactly-once rests on it.
  lockGateway: 'SELECT highest_seq FROM gateways WHERE id = $1 FOR UPDATE',
  // One probe of records_gateway_seq per partition and offered seq.
  storedHashes: 'SELECT seq, hash FROM records WHERE gateway = $1 AND seq = ANY($2::bigint[])',
  copyRecords: `COPY records (${POSTGRES_COPY_COLUMNS}) FROM STDIN`,
  // GREATEST ignores NULLs: the first batch sets the values, an empty batch keeps highest_seq.
  updateGateway: `UPDATE gateways SET last_seen_at = GREATEST(last_seen_at, $2), highest_seq = GREATEST(highest_seq, $3),
      clock_offset_ms = $4, record_count = record_count + $5
    WHERE id = $1 RETURNING highest_seq`,
  // The same, and the span of the records it stored ($5 of seqs $6..$7, none when $5 is 0) for
  // anchoring's claim: one round trip at the end of an ingest.
  updateGatewayWithSpan: `WITH span AS (INSERT INTO unanchored_spans (gateway, received_at, seq_from, seq_to, records)
      SELECT $1, $2, $6::bigint, $7::bigint, $5::integer WHERE $5::integer > 0)
    UPDATE gateways SET last_seen_at = GREATEST(last_seen_at, $2), highest_seq = GREATEST(highest_seq, $3),
      clock_offset_ms = $4, record_count = record_count + $5
    WHERE id = $1 RETURNING highest_seq`,
  insertIntegrityAlarms: `INSERT INTO integrity_alarms (gateway, seq, existing_hash, offered_hash, at)
    SELECT $1, c.seq, c.existing_hash, c.offered_hash, $5 FROM unnest($2::bigint[], $3::text[], $4::text[]) AS c(seq, existing_hash, offered_hash)`,
} as const;
