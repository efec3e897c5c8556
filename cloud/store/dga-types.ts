/**
 * The DGA submission queue and its audit (cloud/dga), behind one interface with a SQLite and a
 * PostgreSQL backend that share their SQL (dga-sql.ts) and one test suite.
 *
 * A submission is one slot of one obra (a measurement instant of its reporting standard):
 *
 *   missing ──(readings arrive late)──▶ pending ──claim──▶ sending ──▶ accepted (terminal)
 *                                        ▲  ▲                 │  ├──▶ rejected ──(retryAfterMs)──┐
 *                                        │  └──(retry)────────┘  ├──▶ failed   ──(retryAfterMs)──┤
 *                                        │                       └──▶ needs-attention            │
 *                                        └────────────── due again: claimed like pending ◀───────┘
 *
 *   review ──approve / correct──▶ pending        review ──mark-missing──▶ missing (never derived again)
 *
 * `rejected`: DGA answered with a status other than success. `failed`: no valid answer (timeout,
 * connection refused, an HTML page), or the relay stopped while `sending`. `needs-attention`: a
 * person must act (the informant is not registered for the obra; a measurement that cannot be
 * encoded; dga.maxAttemptsPerSlot sends without a settling answer). `accepted` with lastOutcome
 * `accepted-irregular`: DGA said success with an odd receipt, flagged for a person, never resent. `missing`: no trustworthy reading for the slot, never an invented value.
 * `review`: derived, but a plausibility check found it doubtful (protocols/dga plausibility.ts):
 * never claimed; a person approves it, corrects it (the corrected values are what is sent) or
 * marks it missing, each action audited with who did it and why.
 */
import type { Finding, Measurement, WorkKind } from '../../protocols/dga/index.ts';

export const SUBMISSION_STATES = ['pending', 'sending', 'accepted', 'rejected', 'failed', 'needs-attention', 'missing', 'review'] as const;
export type SubmissionState = (typeof SUBMISSION_STATES)[number];

export interface DgaSubmission {
  readonly obra: string;
  /** Slot instant, ms since the epoch (the measurement time DGA gets, on its UTC-4 clock). */
  readonly slot: number;
  /** Work kind at derivation: decides the REST path and the fields. */
  readonly kind: WorkKind;
  readonly state: SubmissionState;
  /** Values in DGA units; null when missing. Fixed once derived: a resend sends the same values. */
  readonly measurement: Measurement | null;
  /** Why the slot is missing, per channel (`caudal: no reading within ±5 min`). */
  readonly missingReason: string | null;
  /** Sends claimed so far. */
  readonly attempts: number;
  /** Not sent before this instant (ms); null when not queued. */
  readonly nextAttemptAt: number | null;
  readonly claimedAt: number | null;
  /** The relay instance that claimed it (process id + random suffix). */
  readonly claimedBy: string | null;
  /** DGA numeroComprobante; null until accepted (and for a duplicate answer that named none). */
  readonly receipt: string | null;
  /** Outcome kind of the last attempt (accepted, duplicate, rejected, invalid, not-informant, unsendable, interrupted). */
  readonly lastOutcome: string | null;
  /** DGA's message or why there was none; never holds a credential. */
  readonly lastMessage: string | null;
  readonly lastHttpStatus: number | null;
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly acceptedAt: number | null;
  /** Receipt check (verifyReceipts): `match`, `differs: caudal, …`, or `unchecked: <why>`; null when not checked. */
  readonly verification: string | null;
  /** Why the slot was held for review; null when it passed the checks. */
  readonly findings: readonly Finding[] | null;
  /** Values a person set in review: sent instead of `measurement` (which stays as derived). */
  readonly corrected: Measurement | null;
  /** The review's outcome (approve, correct, mark-missing), who, when, why; null until reviewed. */
  readonly reviewAction: ReviewActionKind | null;
  readonly reviewedBy: string | null;
  readonly reviewedAt: number | null;
  readonly reviewReason: string | null;
}

export const REVIEW_ACTIONS = ['approve', 'correct', 'mark-missing'] as const;
export type ReviewActionKind = (typeof REVIEW_ACTIONS)[number];

/** A person's decision on a slot in review. */
export interface ReviewAction {
  readonly obra: string;
  readonly slot: number;
  readonly action: ReviewActionKind;
  /** The operator token's name (HTTP) or the CLI's --by. */
  readonly actor: string;
  /** Required for correct and mark-missing. */
  readonly reason: string | null;
  /** correct: the full measurement to send. */
  readonly corrected: Measurement | null;
  readonly now: number;
  readonly instance: string;
}

export interface DgaObraState {
  readonly obra: string;
  /** Last slot derived (ms); null before the first. */
  readonly derivedThrough: number | null;
  /** When the last send of the obra was claimed (ms): the spacing rule counts from here. */
  readonly lastSendAt: number | null;
  /** When missing slots were last derived again (ms). */
  readonly recheckedAt: number | null;
  /** Set when DGA said the informant is not registered: no sends until a person acts. */
  readonly stoppedAt: number | null;
  readonly stoppedReason: string | null;
}

/** What a slot's derivation found: values, or why there are none. */
export type SlotInput =
  /** With findings: held for review instead of queued. */
  | { readonly obra: string; readonly slot: number; readonly kind: WorkKind; readonly measurement: Measurement; readonly findings?: readonly Finding[] }
  | { readonly obra: string; readonly slot: number; readonly kind: WorkKind; readonly missing: string };

/** One obra's slots derived in a tick, and the last slot they reach. */
export interface DerivedBatch {
  readonly obra: string;
  readonly inputs: readonly SlotInput[];
  readonly derivedThrough: number;
}

export type ClaimResult =
  | { readonly kind: 'claimed'; readonly submission: DgaSubmission }
  /** Nothing is due before `until` (spacing), or another send of the obra is in flight. */
  | { readonly kind: 'wait'; readonly reason: 'spacing' | 'in-flight'; readonly until: number | null }
  | { readonly kind: 'stopped'; readonly reason: string }
  | { readonly kind: 'idle'; readonly nextDueAt: number | null };

/** How a claimed send ended. Applied only while the row is still `sending` for this claim. */
export interface FinishInput {
  readonly obra: string;
  readonly slot: number;
  readonly claimedBy: string;
  readonly state: Extract<SubmissionState, 'accepted' | 'rejected' | 'failed' | 'needs-attention'>;
  readonly outcome: string;
  readonly message: string | null;
  readonly httpStatus: number | null;
  readonly receipt: string | null;
  /** For rejected and failed. */
  readonly nextAttemptAt: number | null;
  readonly now: number;
}

/** `held`: a check put the slot in review; approve, correct, mark-missing: a person's review. */
export const AUDIT_PHASES = ['request', 'outcome', 'verify', 'recovered', 'retry', 'held', 'approve', 'correct', 'mark-missing'] as const;
export type AuditPhase = (typeof AUDIT_PHASES)[number];

/** One line of the append-only audit. `request` is written before a send, `outcome` after it. */
export interface DgaAuditInput {
  readonly obra: string;
  readonly slot: number;
  /** The submission's attempt number this line belongs to. */
  readonly attempt: number;
  readonly phase: AuditPhase;
  readonly at: number;
  readonly instance: string;
  readonly iface: string | null;
  /** The request as sent, password replaced by `[redacted]` (JSON). */
  readonly request: unknown;
  readonly outcome: string | null;
  readonly httpStatus: number | null;
  readonly message: string | null;
  readonly receipt: string | null;
  /** Who acted, for a person's action (review, retry); null for the relay's own lines. */
  readonly actor?: string | null;
}

export interface DgaAuditEntry extends DgaAuditInput {
  readonly id: number;
}

export interface DgaSummary {
  readonly counts: Readonly<Record<SubmissionState, number>>;
  /** Not accepted although the send window (slot + windowMs) has passed: transmission failures (Res. 2.170 §6.3). */
  readonly lateUnsent: number;
  /** Accepted, but after the send window. */
  readonly acceptedLate: number;
  readonly lastAccepted: { readonly slot: number; readonly receipt: string | null; readonly acceptedAt: number } | null;
  /** Earliest instant a queued submission is due (pending, failed or rejected), null when none. */
  readonly nextDueAt: number | null;
}

export interface DgaStore {
  /** The relay database's start and stop (database.ts): only the database's owner calls them. */
  start(): Promise<void>;
  stop(): Promise<void>;

  /** Stores the encrypted credentials of an obra (replacing any). */
  setCredentials(obra: string, ciphertext: string, now: number): Promise<void>;
  getCredentials(obra: string): Promise<string | undefined>;

  obraState(obra: string): Promise<DgaObraState | undefined>;
  /** Creates the obra's row when absent. */
  ensureObra(obra: string, now: number): Promise<void>;
  setDerivedThrough(obra: string, slot: number): Promise<void>;
  setRecheckedAt(obra: string, at: number): Promise<void>;
  /** Stops every send of the obra until resumeObra. */
  stopObra(obra: string, reason: string, now: number): Promise<void>;
  /** Clears a stop; submissions in needs-attention go back to pending. Returns how many. */
  resumeObra(obra: string, now: number): Promise<number>;

  /**
   * Records a derived slot: inserts it (pending, due now; or missing), or turns a `missing` row
   * into pending when readings arrived late. Any other existing row is left as it is: a slot's
   * values never change once derived. Returns true when the row was inserted or changed.
   */
  putSlot(input: SlotInput, now: number): Promise<boolean>;
  /**
   * A tick's derivation in one transaction: for each obra, putSlot for each derived slot, its
   * derivedThrough, and a `held` audit line per slot put in review. Returns how many rows were
   * inserted or changed.
   */
  putSlots(batches: readonly DerivedBatch[], now: number, instance: string): Promise<number>;
  /**
   * Values of the obra's slots in [from, before), oldest first, as they are or will be sent
   * (corrected over derived); missing slots left out. The plausibility checks' history.
   */
  history(obra: string, from: number, before: number): Promise<Array<{ slot: number; measurement: Measurement }>>;
  /**
   * A person's review of a slot, with its audit line, in one transaction: applied only while the
   * slot is in review. Returns the state it was in (undefined: no such slot) and whether it applied.
   */
  review(action: ReviewAction): Promise<{ readonly from: SubmissionState; readonly changed: boolean } | undefined>;
  /**
   * Totalizer of the latest slot before `slot` that has one and was accepted or is queued to be sent
   * (for unwrapping a rolled-over register and refusing one that went backwards); a slot left for a
   * person (needs-attention) is no baseline.
   */
  previousTotal(obra: string, slot: number): Promise<number | undefined>;
  /** Missing slots at or after `from`, oldest first. */
  missingSlots(obra: string, from: number, limit: number): Promise<number[]>;

  /**
   * Atomically, per obra: nothing if the obra is stopped, a send is in flight, or the last send
   * was claimed less than `spacingMs` ago; else claims the oldest due submission (pending, failed
   * or rejected with nextAttemptAt ≤ now) → `sending`, counts the attempt and records `now` as the
   * obra's last send. Safe across relay instances.
   */
  claimNext(obra: string, now: number, spacingMs: number, instance: string): Promise<ClaimResult>;
  /**
   * Applies the end of a send and appends its audit line, in one transaction. An acceptance is
   * applied to any row not yet accepted; another outcome only while the row is still this claim's
   * (false: nothing changed but the audit).
   */
  finish(input: FinishInput, audit: DgaAuditInput): Promise<boolean>;
  /**
   * Rows left `sending` since before `claimedBefore` (a relay that stopped mid-send) become
   * `failed`, due at `nextAttemptAt`; returns them.
   */
  recoverStale(
    claimedBefore: number,
    nextAttemptAt: number,
    now: number,
  ): Promise<Array<{ obra: string; slot: number; attempts: number; claimedBy: string | null }>>;
  /** failed / rejected / needs-attention → pending, due now. Returns the state it was in, or undefined for no such slot. */
  retry(obra: string, slot: number, now: number): Promise<{ readonly from: SubmissionState; readonly changed: boolean; readonly attempts: number } | undefined>;
  setVerification(obra: string, slot: number, verification: string, now: number): Promise<void>;

  appendAudit(entry: DgaAuditInput): Promise<void>;
  audit(obra: string, slot: number): Promise<DgaAuditEntry[]>;

  submission(obra: string, slot: number): Promise<DgaSubmission | undefined>;
  /** Accepted with an irregular receipt (lastOutcome accepted-irregular), for a person; newest first. */
  flaggedAccepted(obra: string, limit: number): Promise<DgaSubmission[]>;
  /** Newest first; `states` filters. */
  submissions(
    obra: string,
    options: { readonly states?: readonly SubmissionState[]; readonly limit: number; readonly before?: number },
  ): Promise<DgaSubmission[]>;
  summary(obra: string, now: number, windowMs: number): Promise<DgaSummary>;

  /**
   * Runs `fn` when this relay holds the DGA scheduler lock (PostgreSQL: pg_try_advisory_lock, so
   * one relay of several on a database runs the scheduler); `ran: false` when another holds it.
   * SQLite has one relay per file: always runs.
   */
  withSchedulerLock<T>(fn: () => Promise<T>): Promise<{ readonly ran: true; readonly value: T } | { readonly ran: false }>;
}
