/**
 * SQL of the sources store (sources-store.ts). Parameters `$1…$n` for both backends; column
 * aliases quoted camelCase so rows come back in sources-types.ts's shape. Only the records store
 * writes `records`: a source's records go through its ingestWithin.
 */
const SOURCE_COLUMNS = `id, kind, gateway, org, created_at AS "createdAt", cursor, last_success_at AS "lastSuccessAt",
  last_error_at AS "lastErrorAt", last_error AS "lastError", failures, next_try_at AS "nextTryAt", messages, duplicates`;

export const SOURCES_SQL = {
  insertGateway: 'INSERT INTO gateways (id, secret_ciphertext, created_at, org_id) VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING',
  insertSource: 'INSERT INTO sources (id, kind, gateway, org, created_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO NOTHING',
  getSource: `SELECT ${SOURCE_COLUMNS} FROM sources WHERE id = $1`,
  listSources: `SELECT ${SOURCE_COLUMNS} FROM sources ORDER BY id`,
  highestSeq: 'SELECT highest_seq AS "highestSeq" FROM gateways WHERE id = $1',
  claimMessage: 'INSERT INTO source_messages (source, message_id, at, received_at) VALUES ($1, $2, $3, $4) ON CONFLICT (source, message_id) DO NOTHING',
  messageAt: 'SELECT at FROM source_messages WHERE source = $1 AND message_id = $2',
  stored: `UPDATE sources SET cursor = coalesce($2, cursor), last_success_at = $3, failures = 0, last_error = NULL,
    messages = messages + $4, duplicates = duplicates + $5 WHERE id = $1`,
  countProblem: `INSERT INTO source_problems (source, reason, count, last_at, last_detail) VALUES ($1, $2, $3, $4, $5)
    ON CONFLICT (source, reason) DO UPDATE SET count = source_problems.count + excluded.count, last_at = excluded.last_at, last_detail = excluded.last_detail`,
  listProblems: 'SELECT source, reason, count, last_at AS "lastAt", last_detail AS "lastDetail" FROM source_problems ORDER BY source, reason',
  sourceProblems: 'SELECT source, reason, count, last_at AS "lastAt", last_detail AS "lastDetail" FROM source_problems WHERE source = $1 ORDER BY reason',
  pullFailed: 'UPDATE sources SET last_error_at = $2, last_error = $3, failures = $4, next_try_at = $5 WHERE id = $1',
  scheduled: 'UPDATE sources SET next_try_at = $2 WHERE id = $1',
} as const;
