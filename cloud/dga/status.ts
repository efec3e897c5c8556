/**
 * What operators see of the DGA reporting, per obra (CLI `atalaya relay dga status`, HTTP
 * `GET /v1/dga`): the last accepted slot, what is queued, and every transmission failure kept
 * visible (Res. 2.170 §6.3): slots not accepted within the send window (missing ones included),
 * refusals with DGA's message, slots accepted with an irregular receipt, and an obra stopped for a person.
 */
import { toDgaDateTime } from '../../protocols/dga/index.ts';
import type { DgaStore, DgaSubmission, SubmissionState } from '../store/dga-types.ts';
import type { DgaConfig, DgaInterface, DgaObraConfig } from './config.ts';
import { obraInterface } from './config.ts';
import { IRREGULAR_OUTCOME } from './sender.ts';

/** Res. 2.170 §3.1: each measurement is transmitted within one hour of its time. */
export const SEND_WINDOW_MS = 3_600_000;
/** States shown as problems, newest first (needs-attention and irregular receipts before the rest). */
export const PROBLEM_STATES: readonly SubmissionState[] = ['needs-attention', 'review', 'rejected', 'failed', 'missing'];

/** `2025-06-16 10:00:00` on DGA's UTC-4 clock: how a slot is named to a person. */
export function dgaSlotLabel(slot: number): string {
  const t = toDgaDateTime(slot);
  return `${t.date} ${t.hour}`;
}

/** An ISO 8601 instant with DGA's fixed −04:00 offset, the form `retry` takes back. */
export function slotIso(slot: number): string {
  const t = toDgaDateTime(slot);
  return `${t.date}T${t.hour}-04:00`;
}

export interface DgaSlotView {
  readonly slot: string;
  readonly slotMs: number;
  readonly state: SubmissionState;
  readonly attempts: number;
  /** Missing reason, or the last outcome's message. */
  readonly reason: string | null;
  readonly lastOutcome: string | null;
  readonly httpStatus: number | null;
  readonly nextAttemptAt: string | null;
  readonly receipt: string | null;
  readonly verification: string | null;
  /** DGA answered success with an odd receipt (kept as given in `receipt`): accepted, never resent, for a person to check. */
  readonly receiptIrregular: boolean;
  /** Not accepted (or accepted only) after the send window: a transmission failure. */
  readonly late: boolean;
}

export interface DgaObraStatus {
  readonly obra: string;
  readonly kind: DgaObraConfig['kind'];
  readonly standard: DgaObraConfig['standard'];
  readonly interface: DgaInterface;
  readonly gateway: string;
  readonly device: string;
  readonly credentials: boolean;
  readonly stopped: { readonly at: string; readonly reason: string } | null;
  readonly derivedThrough: string | null;
  readonly lastAccepted: { readonly slot: string; readonly receipt: string | null; readonly acceptedAt: string } | null;
  readonly counts: Readonly<Record<SubmissionState, number>>;
  /** Slots past their send window and not accepted (missing ones included). */
  readonly lateUnsent: number;
  readonly acceptedLate: number;
  /** Earliest a queued slot is due, ISO; the spacing may push the send later. */
  readonly nextDueAt: string | null;
  readonly problems: readonly DgaSlotView[];
}

export interface DgaObraDetail extends DgaObraStatus {
  /** The latest slots, newest first. */
  readonly recent: readonly DgaSlotView[];
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

export function slotView(s: DgaSubmission, now: number): DgaSlotView {
  const deadline = s.slot + SEND_WINDOW_MS;
  const late = s.state === 'accepted' ? (s.acceptedAt ?? 0) > deadline : now > deadline;
  return {
    slot: slotIso(s.slot),
    slotMs: s.slot,
    state: s.state,
    attempts: s.attempts,
    reason: s.state === 'missing' ? s.missingReason : s.lastMessage,
    lastOutcome: s.lastOutcome,
    httpStatus: s.lastHttpStatus,
    nextAttemptAt: s.state === 'accepted' || s.state === 'missing' ? null : iso(s.nextAttemptAt),
    receipt: s.receipt,
    verification: s.verification,
    receiptIrregular: s.lastOutcome === IRREGULAR_OUTCOME,
    late,
  };
}

export async function obraStatus(config: DgaConfig, obra: DgaObraConfig, queue: DgaStore, now: number, problemLimit = 20): Promise<DgaObraStatus> {
  const state = await queue.obraState(obra.code);
  const summary = await queue.summary(obra.code, now, SEND_WINDOW_MS);
  // What waits for a person comes first, however old (a week of missing hours must not hide it):
  // slots accepted with an irregular receipt, then needs-attention, then the other problems.
  const forPerson = [
    ...(await queue.flaggedAccepted(obra.code, problemLimit)),
    ...(await queue.submissions(obra.code, { states: ['needs-attention'], limit: problemLimit })),
  ];
  const others = await queue.submissions(obra.code, { states: PROBLEM_STATES.filter((x) => x !== 'needs-attention'), limit: problemLimit });
  const problems = [...forPerson, ...others].slice(0, problemLimit);
  const last = summary.lastAccepted;
  return {
    obra: obra.code,
    kind: obra.kind,
    standard: obra.standard,
    interface: obraInterface(config, obra),
    gateway: obra.gateway,
    device: obra.device,
    credentials: (await queue.getCredentials(obra.code)) !== undefined,
    stopped: state?.stoppedAt == null ? null : { at: new Date(state.stoppedAt).toISOString(), reason: state.stoppedReason ?? '' },
    derivedThrough: state?.derivedThrough == null ? null : slotIso(state.derivedThrough),
    lastAccepted: last === null ? null : { slot: slotIso(last.slot), receipt: last.receipt, acceptedAt: new Date(last.acceptedAt).toISOString() },
    counts: summary.counts,
    lateUnsent: summary.lateUnsent,
    acceptedLate: summary.acceptedLate,
    nextDueAt: iso(summary.nextDueAt),
    problems: problems.map((s) => slotView(s, now)),
  };
}

export async function obraDetail(config: DgaConfig, obra: DgaObraConfig, queue: DgaStore, now: number, recent: number): Promise<DgaObraDetail> {
  const status = await obraStatus(config, obra, queue, now, 100);
  const rows = await queue.submissions(obra.code, { limit: recent });
  return { ...status, recent: rows.map((s) => slotView(s, now)) };
}
