/**
 * DgaStore over the relay's SQL executor (sql-executor.ts): the same statements and transactions
 * on SQLite and PostgreSQL. The multi-instance guarantees
 * live in claimNext: the obra's row is locked for the whole claim (FOR UPDATE on PostgreSQL,
 * BEGIN IMMEDIATE on SQLite), so "one send at a time, spacingMs apart" holds whichever relay
 * claims, and the conditional UPDATE … RETURNING takes a row only from a due state.
 */

import type { Measurement } from '../../protocols/dga/index.ts';
import type { AuditRow, SubmissionRow } from './dga-sql.ts';
import { DGA_SCHEDULER_LOCK_KEY, DGA_SQL, decodeAudit, decodeSubmission, submissionsSql } from './dga-sql.ts';
import type {
  ClaimResult,
  DerivedBatch,
  DgaAuditEntry,
  DgaAuditInput,
  DgaObraState,
  DgaStore,
  DgaSubmission,
  DgaSummary,
  FinishInput,
  ReviewAction,
  SlotInput,
  SubmissionState,
} from './dga-types.ts';
import { SUBMISSION_STATES } from './dga-types.ts';
import { forUpdate, type SqlExecutor } from './sql-executor.ts';

export class SqlDgaStore implements DgaStore {
  constructor(private readonly db: SqlExecutor) {}

  /** The database's start: only its owner (the composition root, database.ts) calls it. */
  start(): Promise<void> {
    return this.db.start();
  }

  /** The database's stop: only its owner calls it. */
  stop(): Promise<void> {
    return this.db.stop();
  }

  async setCredentials(obra: string, ciphertext: string, now: number): Promise<void> {
    await this.db.query(DGA_SQL.setCredentials, [obra, ciphertext, now]);
  }

  async getCredentials(obra: string): Promise<string | undefined> {
    return (await this.db.query<{ ciphertext: string }>(DGA_SQL.getCredentials, [obra])).rows[0]?.ciphertext;
  }

  async obraState(obra: string): Promise<DgaObraState | undefined> {
    return (await this.db.query<DgaObraState>(DGA_SQL.obraState, [obra])).rows[0];
  }

  async ensureObra(obra: string, now: number): Promise<void> {
    await this.db.query(DGA_SQL.ensureObra, [obra, now]);
  }

  async setDerivedThrough(obra: string, slot: number): Promise<void> {
    await this.db.query(DGA_SQL.setDerivedThrough, [obra, slot]);
  }

  async setRecheckedAt(obra: string, at: number): Promise<void> {
    await this.db.query(DGA_SQL.setRecheckedAt, [obra, at]);
  }

  async stopObra(obra: string, reason: string, now: number): Promise<void> {
    await this.db.query(DGA_SQL.stopObra, [obra, now, reason]);
  }

  resumeObra(obra: string, now: number): Promise<number> {
    return this.db.transaction('resumeObra', async (q) => {
      await q(DGA_SQL.resumeObra, [obra]);
      return (await q(DGA_SQL.resumeSubmissions, [obra, now])).count;
    });
  }

  async putSlot(input: SlotInput, now: number): Promise<boolean> {
    return (await this.db.query(DGA_SQL.putSlot, putSlotParams(input, now))).count === 1;
  }

  putSlots(batches: readonly DerivedBatch[], now: number, instance: string): Promise<number> {
    if (batches.length === 0) return Promise.resolve(0);
    return this.db.transaction('putSlots', async (q, many) => {
      let changed = 0;
      for (const { obra, inputs, derivedThrough } of batches) {
        for (const r of await many(
          DGA_SQL.putSlot,
          inputs.map((i) => putSlotParams(i, now)),
        ))
          changed += r.count;
        for (const i of inputs) {
          if (!('measurement' in i) || i.findings === undefined || i.findings.length === 0) continue;
          const message = i.findings.map((f) => f.message).join('; ');
          await q(
            DGA_SQL.appendAudit,
            auditParams({
              obra,
              slot: i.slot,
              attempt: 0,
              phase: 'held',
              at: now,
              instance,
              iface: null,
              request: { findings: i.findings },
              outcome: 'review',
              httpStatus: null,
              message,
              receipt: null,
            }),
          );
        }
        await q(DGA_SQL.setDerivedThrough, [obra, derivedThrough]);
      }
      return changed;
    });
  }

  async history(obra: string, from: number, before: number): Promise<Array<{ slot: number; measurement: Measurement }>> {
    const rows = (await this.db.query<{ slot: number; measurement: string; corrected: string | null }>(DGA_SQL.history, [obra, from, before])).rows;
    return rows.map((r) => ({ slot: r.slot, measurement: JSON.parse(r.corrected ?? r.measurement) as Measurement }));
  }

  review(a: ReviewAction): Promise<{ from: SubmissionState; changed: boolean } | undefined> {
    return this.db.transaction('review', async (q) => {
      const row = (await q<{ state: SubmissionState; attempts: number }>(forUpdate(DGA_SQL.reviewRow, this.db.dialect), [a.obra, a.slot])).rows[0];
      if (row === undefined) return undefined;
      const missing = a.action === 'mark-missing';
      const corrected = a.action === 'correct' && a.corrected !== null ? a.corrected : null;
      const params = [
        a.obra,
        a.slot,
        a.now,
        a.action,
        a.actor,
        missing ? 'missing' : 'pending',
        missing ? null : a.now,
        corrected === null ? null : JSON.stringify(corrected),
        corrected?.totalizador ?? null,
        missing ? `marked missing in review by ${a.actor}: ${a.reason ?? ''}` : null,
        a.reason,
      ];
      const changed = (await q(DGA_SQL.review, params)).count === 1;
      if (changed) {
        await q(
          DGA_SQL.appendAudit,
          auditParams({
            obra: a.obra,
            slot: a.slot,
            attempt: row.attempts,
            phase: a.action,
            at: a.now,
            instance: a.instance,
            iface: null,
            request: corrected === null ? null : { corrected },
            outcome: missing ? 'missing' : 'pending',
            httpStatus: null,
            message: a.reason,
            receipt: null,
            actor: a.actor,
          }),
        );
      }
      return { from: row.state, changed };
    });
  }

  async previousTotal(obra: string, slot: number): Promise<number | undefined> {
    return (await this.db.query<{ totalizer: number }>(DGA_SQL.previousTotal, [obra, slot])).rows[0]?.totalizer;
  }

  async missingSlots(obra: string, from: number, limit: number): Promise<number[]> {
    return (await this.db.query<{ slot: number }>(DGA_SQL.missingSlots, [obra, from, limit])).rows.map((r) => r.slot);
  }

  claimNext(obra: string, now: number, spacingMs: number, instance: string): Promise<ClaimResult> {
    return this.db.transaction('claimNext', async (q): Promise<ClaimResult> => {
      const row = (
        await q<{ lastSendAt: number | null; stoppedAt: number | null; stoppedReason: string | null }>(forUpdate(DGA_SQL.claimObra, this.db.dialect), [obra])
      ).rows[0];
      if (row === undefined) return { kind: 'idle', nextDueAt: null };
      if (row.stoppedAt !== null) return { kind: 'stopped', reason: row.stoppedReason ?? 'stopped' };
      if ((await q(DGA_SQL.inFlight, [obra])).rows.length > 0) return { kind: 'wait', reason: 'in-flight', until: null };
      const due = (await q<{ slot: number }>(DGA_SQL.oldestDue, [obra, now])).rows[0];
      if (due === undefined) {
        const next = (await q<{ nextDueAt: number | null }>(DGA_SQL.nextDue, [obra])).rows[0]?.nextDueAt ?? null;
        return { kind: 'idle', nextDueAt: next };
      }
      if (row.lastSendAt !== null && now < row.lastSendAt + spacingMs) return { kind: 'wait', reason: 'spacing', until: row.lastSendAt + spacingMs };
      const claimed = (await q<SubmissionRow>(DGA_SQL.claim, [obra, due.slot, now, instance])).rows[0];
      if (claimed === undefined) return { kind: 'idle', nextDueAt: null };
      // Recorded in the claim's transaction, before the request leaves: the spacing holds even
      // when the relay dies mid-send and restarts at once.
      await q(DGA_SQL.markSend, [obra, now]);
      return { kind: 'claimed', submission: decodeSubmission(claimed) };
    });
  }

  finish(input: FinishInput, audit: DgaAuditInput): Promise<boolean> {
    const accepted = input.state === 'accepted';
    const [sql, params] = accepted
      ? [DGA_SQL.finishAccepted, [input.obra, input.slot, input.outcome, input.message, input.httpStatus, input.receipt, input.now]]
      : [
          DGA_SQL.finish,
          [input.obra, input.slot, input.claimedBy, input.state, input.outcome, input.message, input.httpStatus, input.nextAttemptAt, input.now],
        ];
    return this.db.transaction('finish', async (q) => {
      const applied = (await q(sql, params)).count === 1;
      await q(DGA_SQL.appendAudit, auditParams(audit));
      return applied;
    });
  }

  async recoverStale(
    claimedBefore: number,
    nextAttemptAt: number,
    now: number,
  ): Promise<Array<{ obra: string; slot: number; attempts: number; claimedBy: string | null }>> {
    return (
      await this.db.query<{ obra: string; slot: number; attempts: number; claimedBy: string | null }>(DGA_SQL.recoverStale, [claimedBefore, nextAttemptAt, now])
    ).rows;
  }

  retry(obra: string, slot: number, now: number): Promise<{ from: SubmissionState; changed: boolean; attempts: number } | undefined> {
    return this.db.transaction('retry', async (q) => {
      const row = (await q<{ state: SubmissionState; attempts: number }>(forUpdate(DGA_SQL.retryRow, this.db.dialect), [obra, slot])).rows[0];
      if (row === undefined) return undefined;
      const changed = (await q(DGA_SQL.retry, [obra, slot, now])).count === 1;
      return { from: row.state, changed, attempts: row.attempts };
    });
  }

  async setVerification(obra: string, slot: number, verification: string, now: number): Promise<void> {
    await this.db.query(DGA_SQL.setVerification, [obra, slot, verification, now]);
  }

  async appendAudit(e: DgaAuditInput): Promise<void> {
    await this.db.query(DGA_SQL.appendAudit, auditParams(e));
  }

  async audit(obra: string, slot: number): Promise<DgaAuditEntry[]> {
    return (await this.db.query<AuditRow>(DGA_SQL.audit, [obra, slot])).rows.map(decodeAudit);
  }

  async submission(obra: string, slot: number): Promise<DgaSubmission | undefined> {
    const row = (await this.db.query<SubmissionRow>(DGA_SQL.submission, [obra, slot])).rows[0];
    return row === undefined ? undefined : decodeSubmission(row);
  }

  async flaggedAccepted(obra: string, limit: number): Promise<DgaSubmission[]> {
    return (await this.db.query<SubmissionRow>(DGA_SQL.flaggedAccepted, [obra, limit])).rows.map(decodeSubmission);
  }

  async submissions(obra: string, options: { states?: readonly SubmissionState[]; limit: number; before?: number }): Promise<DgaSubmission[]> {
    const sql = submissionsSql(options.states, options.before !== undefined);
    const params = [obra, ...(options.states ?? []), ...(options.before === undefined ? [] : [options.before]), options.limit];
    return (await this.db.query<SubmissionRow>(sql, params)).rows.map(decodeSubmission);
  }

  async summary(obra: string, now: number, windowMs: number): Promise<DgaSummary> {
    const counts = Object.fromEntries(SUBMISSION_STATES.map((s) => [s, 0])) as Record<SubmissionState, number>;
    let lateUnsent = 0;
    let acceptedLate = 0;
    const rows = (
      await this.db.query<{ state: SubmissionState; n: number; lateUnsent: number | null; acceptedLate: number | null }>(DGA_SQL.counts, [obra, now, windowMs])
    ).rows;
    for (const r of rows) {
      counts[r.state] = Number(r.n);
      lateUnsent += Number(r.lateUnsent ?? 0);
      acceptedLate += Number(r.acceptedLate ?? 0);
    }
    const last = (await this.db.query<{ slot: number; receipt: string | null; acceptedAt: number }>(DGA_SQL.lastAccepted, [obra])).rows[0];
    const nextDueAt = (await this.db.query<{ nextDueAt: number | null }>(DGA_SQL.nextDue, [obra])).rows[0]?.nextDueAt ?? null;
    return { counts, lateUnsent, acceptedLate, lastAccepted: last ?? null, nextDueAt: nextDueAt === null ? null : Number(nextDueAt) };
  }

  withSchedulerLock<T>(fn: () => Promise<T>): Promise<{ ran: true; value: T } | { ran: false }> {
    return this.db.withSessionLock(DGA_SCHEDULER_LOCK_KEY, 'schedulerLock', fn);
  }
}

function auditParams(e: DgaAuditInput): unknown[] {
  const request = e.request === null || e.request === undefined ? null : JSON.stringify(e.request);
  return [e.obra, e.slot, e.attempt, e.phase, e.at, e.instance, e.iface, request, e.outcome, e.httpStatus, e.message, e.receipt, e.actor ?? null];
}

/** pending (due now), review (held, not due) or missing. */
function putSlotParams(input: SlotInput, now: number): unknown[] {
  if (!('measurement' in input)) return [input.obra, input.slot, input.kind, 'missing', null, null, input.missing, null, now, null];
  const held = input.findings !== undefined && input.findings.length > 0;
  return [
    input.obra,
    input.slot,
    input.kind,
    held ? 'review' : 'pending',
    JSON.stringify(input.measurement),
    input.measurement.totalizador ?? null,
    null,
    held ? null : now,
    now,
    held ? JSON.stringify(input.findings) : null,
  ];
}
