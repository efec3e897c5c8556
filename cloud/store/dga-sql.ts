/**
 * The DGA queue's SQL, one text for both backends (see sql-executor.ts): parameters are `$1…$n`,
 * column aliases are quoted so both return camelCase, and the only dialect difference (row locks)
 * is forUpdate. Statements that run per tick are checked with EXPLAIN QUERY PLAN in the DGA
 * store tests.
 */
import type { Finding, Measurement, WorkKind } from '../../protocols/dga/index.ts';
import type { DgaAuditEntry, DgaSubmission, ReviewActionKind, SubmissionState } from './dga-types.ts';

/**
 * Key of the session-level advisory lock a relay holds while it runs a DGA tick
 * (docs/storage.md#postgresql-advisory-locks). 'dgasched' in ASCII.
 * It keeps several relays on one database from all deriving and sending; correctness does not
 * rest on it (a lock lost with its connection lets a second relay in, and the claims in
 * dga-store.ts still allow one send per obra at a time, spacingMs apart).
 */
export const DGA_SCHEDULER_LOCK_KEY = 0x64_67_61_73_63_68_65_64n;

/** States a claim may pick up once their nextAttemptAt has come. */
export const DUE_STATES = "('pending', 'failed', 'rejected')";

const SUBMISSION_COLUMNS = `obra, slot, kind, state, measurement, missing_reason AS "missingReason", attempts, next_attempt_at AS "nextAttemptAt",
  claimed_at AS "claimedAt", claimed_by AS "claimedBy", receipt, last_outcome AS "lastOutcome", last_message AS "lastMessage",
  last_http_status AS "lastHttpStatus", created_at AS "createdAt", updated_at AS "updatedAt", accepted_at AS "acceptedAt", verification,
  findings, corrected, review_action AS "reviewAction", reviewed_by AS "reviewedBy", reviewed_at AS "reviewedAt", review_reason AS "reviewReason"`;

const AUDIT_COLUMNS = `id, obra, slot, attempt, phase, at, instance, interface AS "iface", request, outcome, http_status AS "httpStatus", message, receipt, actor`;

export const DGA_SQL = {
  setCredentials: `INSERT INTO dga_credentials (obra, ciphertext, updated_at) VALUES ($1, $2, $3)
    ON CONFLICT (obra) DO UPDATE SET ciphertext = excluded.ciphertext, updated_at = excluded.updated_at`,
  getCredentials: 'SELECT ciphertext FROM dga_credentials WHERE obra = $1',

  ensureObra: 'INSERT INTO dga_obras (obra, created_at) VALUES ($1, $2) ON CONFLICT (obra) DO NOTHING',
  obraState: `SELECT obra, derived_through AS "derivedThrough", last_send_at AS "lastSendAt", rechecked_at AS "recheckedAt",
    stopped_at AS "stoppedAt", stopped_reason AS "stoppedReason" FROM dga_obras WHERE obra = $1`,
  setDerivedThrough:
    'UPDATE dga_obras SET derived_through = CASE WHEN derived_through IS NULL OR derived_through < $2 THEN $2 ELSE derived_through END WHERE obra = $1',
  setRecheckedAt: 'UPDATE dga_obras SET rechecked_at = $2 WHERE obra = $1',
  stopObra: 'UPDATE dga_obras SET stopped_at = $2, stopped_reason = $3 WHERE obra = $1',
  resumeObra: 'UPDATE dga_obras SET stopped_at = NULL, stopped_reason = NULL WHERE obra = $1',
  // Only what the stop held back: a slot that could not be encoded stays with its person.
  resumeSubmissions: `UPDATE dga_submissions SET state = 'pending', next_attempt_at = $2, updated_at = $2
    WHERE obra = $1 AND state = 'needs-attention' AND last_outcome = 'not-informant'`,

  // A slot's values are fixed once derived; only a missing slot may be derived again, and not one
  // a person marked missing in review.
  putSlot: `INSERT INTO dga_submissions (obra, slot, kind, state, measurement, totalizer, missing_reason, next_attempt_at, created_at, updated_at, findings)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $10)
    ON CONFLICT (obra, slot) DO UPDATE SET kind = excluded.kind, state = excluded.state, measurement = excluded.measurement,
      totalizer = excluded.totalizer, missing_reason = excluded.missing_reason, next_attempt_at = excluded.next_attempt_at, updated_at = excluded.updated_at,
      findings = excluded.findings
    WHERE dga_submissions.state = 'missing' AND dga_submissions.review_action IS NULL`,
  history: `SELECT slot, measurement, corrected FROM dga_submissions WHERE obra = $1 AND slot >= $2 AND slot < $3 AND measurement IS NOT NULL
    AND state <> 'missing' ORDER BY slot`,
  reviewRow: 'SELECT state, attempts FROM dga_submissions WHERE obra = $1 AND slot = $2',
  // One statement for the three actions: approve and correct queue the slot (due now, the spacing
  // still applies at the claim); mark-missing leaves it missing for good.
  review: `UPDATE dga_submissions SET state = $6, next_attempt_at = $7, corrected = COALESCE($8, corrected), totalizer = COALESCE($9, totalizer),
      missing_reason = COALESCE($10, missing_reason), review_action = $4, reviewed_by = $5, reviewed_at = $3, review_reason = $11, updated_at = $3
    WHERE obra = $1 AND slot = $2 AND state = 'review'`,
  // Only a total DGA accepted or that is queued to be sent (after a person's retry, say) is a
  // baseline: one left for a person (needs-attention, e.g. unsendable) must not make every later
  // slot "went backwards" (issue 14).
  previousTotal: `SELECT totalizer FROM dga_submissions WHERE obra = $1 AND slot < $2 AND totalizer IS NOT NULL
    AND state IN ('accepted', 'pending', 'sending', 'failed', 'rejected') ORDER BY slot DESC LIMIT 1`,
  missingSlots: "SELECT slot FROM dga_submissions WHERE obra = $1 AND state = 'missing' AND review_action IS NULL AND slot >= $2 ORDER BY slot LIMIT $3",

  claimObra: 'SELECT last_send_at AS "lastSendAt", stopped_reason AS "stoppedReason", stopped_at AS "stoppedAt" FROM dga_obras WHERE obra = $1',
  inFlight: 'SELECT claimed_at AS "claimedAt" FROM dga_submissions WHERE obra = $1 AND state = \'sending\' LIMIT 1',
  oldestDue: `SELECT slot FROM dga_submissions WHERE obra = $1 AND state IN ${DUE_STATES} AND next_attempt_at <= $2 ORDER BY slot LIMIT 1`,
  nextDue: `SELECT min(next_attempt_at) AS "nextDueAt" FROM dga_submissions WHERE obra = $1 AND state IN ${DUE_STATES}`,
  claim: `UPDATE dga_submissions SET state = 'sending', attempts = attempts + 1, claimed_at = $3, claimed_by = $4, updated_at = $3
    WHERE obra = $1 AND slot = $2 AND state IN ${DUE_STATES} AND next_attempt_at <= $3 RETURNING ${SUBMISSION_COLUMNS}`,
  markSend: 'UPDATE dga_obras SET last_send_at = $2 WHERE obra = $1',
  finish: `UPDATE dga_submissions SET state = $4, last_outcome = $5, last_message = $6, last_http_status = $7, next_attempt_at = $8, updated_at = $9
    WHERE obra = $1 AND slot = $2 AND state = 'sending' AND claimed_by = $3`,
  // DGA holds it, whoever holds the row now (a claim recovered as stale by another relay, say):
  // recording the acceptance anyway is what keeps the slot from being sent again.
  finishAccepted: `UPDATE dga_submissions SET state = 'accepted', last_outcome = $3, last_message = $4, last_http_status = $5, receipt = COALESCE($6, receipt),
      next_attempt_at = NULL, accepted_at = $7, updated_at = $7
    WHERE obra = $1 AND slot = $2 AND state <> 'accepted'`,
  recoverStale: `UPDATE dga_submissions SET state = 'failed', next_attempt_at = $2, last_outcome = 'interrupted',
      last_message = 'the relay stopped while sending: outcome unknown until the next attempt', last_http_status = NULL, updated_at = $3
    WHERE state = 'sending' AND claimed_at < $1 RETURNING obra, slot, attempts, claimed_by AS "claimedBy"`,
  retryRow: 'SELECT state, attempts FROM dga_submissions WHERE obra = $1 AND slot = $2',
  retry: `UPDATE dga_submissions SET state = 'pending', next_attempt_at = $3, updated_at = $3
    WHERE obra = $1 AND slot = $2 AND state IN ('failed', 'rejected', 'needs-attention')`,
  setVerification: 'UPDATE dga_submissions SET verification = $3, updated_at = $4 WHERE obra = $1 AND slot = $2',

  appendAudit: `INSERT INTO dga_audit (obra, slot, attempt, phase, at, instance, interface, request, outcome, http_status, message, receipt, actor)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
  audit: `SELECT ${AUDIT_COLUMNS} FROM dga_audit WHERE obra = $1 AND slot = $2 ORDER BY id`,

  submission: `SELECT ${SUBMISSION_COLUMNS} FROM dga_submissions WHERE obra = $1 AND slot = $2`,
  counts: `SELECT state, count(*) AS n,
      sum(CASE WHEN state <> 'accepted' AND slot + $3 < $2 THEN 1 ELSE 0 END) AS "lateUnsent",
      sum(CASE WHEN state = 'accepted' AND accepted_at > slot + $3 THEN 1 ELSE 0 END) AS "acceptedLate"
    FROM dga_submissions WHERE obra = $1 GROUP BY state`,
  flaggedAccepted: `SELECT ${SUBMISSION_COLUMNS} FROM dga_submissions WHERE obra = $1 AND state = 'accepted' AND last_outcome = 'accepted-irregular'
    ORDER BY slot DESC LIMIT $2`,
  lastAccepted: `SELECT slot, receipt, accepted_at AS "acceptedAt" FROM dga_submissions WHERE obra = $1 AND state = 'accepted' ORDER BY slot DESC LIMIT 1`,
} as const;

/** Newest first, optionally only some states and only before a slot; parameters from $2. */
export function submissionsSql(states: readonly SubmissionState[] | undefined, before: boolean): string {
  let n = 2;
  const where = ['obra = $1'];
  if (states !== undefined && states.length > 0) where.push(`state IN (${states.map(() => `$${n++}`).join(', ')})`);
  if (before) where.push(`slot < $${n++}`);
  return `SELECT ${SUBMISSION_COLUMNS} FROM dga_submissions WHERE ${where.join(' AND ')} ORDER BY slot DESC LIMIT $${n}`;
}

export interface SubmissionRow extends Omit<DgaSubmission, 'measurement' | 'kind' | 'state' | 'findings' | 'corrected' | 'reviewAction'> {
  readonly kind: string;
  readonly state: string;
  readonly measurement: string | null;
  readonly findings: string | null;
  readonly corrected: string | null;
  readonly reviewAction: string | null;
}

const json = <T>(text: string | null): T | null => (text === null ? null : (JSON.parse(text) as T));

export function decodeSubmission(row: SubmissionRow): DgaSubmission {
  return {
    ...row,
    kind: row.kind as WorkKind,
    state: row.state as SubmissionState,
    measurement: json<Measurement>(row.measurement),
    findings: json<Finding[]>(row.findings),
    corrected: json<Measurement>(row.corrected),
    reviewAction: row.reviewAction as ReviewActionKind | null,
    reviewedAt: row.reviewedAt === null ? null : Number(row.reviewedAt),
  };
}

export interface AuditRow extends Omit<DgaAuditEntry, 'request'> {
  readonly request: string | null;
}

export function decodeAudit(row: AuditRow): DgaAuditEntry {
  return { ...row, request: row.request === null ? null : (JSON.parse(row.request) as unknown) };
}
