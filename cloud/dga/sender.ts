/**
 * Sending, under the rules of Res. Ex. DGA 2.170/2025 §3 and §6 (docs/dga.md#transmission-rules):
 *
 * - One send at a time per obra, at least spacingMs apart, oldest due slot first (backlog after an
 *   outage). The claim (dga-store.ts) enforces it atomically, across relays.
 * - Every attempt is audited before the request leaves (the request, password redacted) and after
 *   (outcome, HTTP status, message, receipt), in an append-only table.
 * - Accepted: keep the receipt; the slot is never sent again. A duplicate answer means DGA already
 *   holds the measurement: accepted, with the receipt named in the message. A success answer with
 *   an odd receipt (not 32 letters/digits, absent, or a non-2xx HTTP status) is accepted too, the
 *   receipt kept as given, flagged for a person (outcome accepted-irregular).
 * - Refused (status not 00) or no valid answer: retry after retryAfterMs (the next day), at most
 *   maxAttemptsPerSlot automatic sends in all; then needs-attention until a person retries it.
 * - Not the registered informant: the obra stops (needs-attention) until a person sets its
 *   credentials again; logged at error level and shown in the status.
 * - An unknown outcome (the answer timed out after the request left; the relay died while
 *   `sending`) is never settled by resending in a loop. The slot is retried once, later: if DGA
 *   stored it, that attempt gets the duplicate answer with the receipt and the slot is accepted;
 *   if not, it is stored then. A row left `sending` by a relay that stopped becomes `failed`, due
 *   unknownOutcomeDelayMs later (default: the next day, like any failure without an answer), once
 *   it is older than timeoutMs + a grace (so a send still in flight in another relay is never
 *   taken for dead). The spacing counts from the claim, which is
 *   committed before the request leaves, so even a relay that crashes on every send sends at most
 *   once per spacingMs per obra.
 */
import type { Logger } from 'pino';
import type { Clock } from '../../protocols/clock.ts';
import type { DgaCredentials, EmptyValueGround } from '../../protocols/dga/index.ts';
import { formatMeasurement, isDgaError, measurementDifferences } from '../../protocols/dga/index.ts';
import type { DgaStore, DgaSubmission, FinishInput, SubmissionState } from '../store/dga-types.ts';
import type { DgaClient, DgaSendOutcome, RedactedRequest } from './client.ts';
import type { DgaClients } from './clients.ts';
import type { DgaConfig, DgaObraConfig } from './config.ts';
import { emptyValueGround, obraInterface } from './config.ts';
import type { DgaCredentialStore } from './credentials.ts';

/** Added to timeoutMs before a `sending` row is taken for abandoned, ms. */
export const STALE_GRACE_MS = 60_000;
/** lastOutcome of a slot DGA accepted with an odd receipt (status.ts shows it as receiptIrregular). */
export const IRREGULAR_OUTCOME = 'accepted-irregular';
/** lastOutcome of a slot stopped for a person after dga.maxAttemptsPerSlot automatic sends. */
export const EXHAUSTED_OUTCOME = 'attempts-exhausted';

export type SendReport =
  | { readonly obra: string; readonly result: 'no-credentials' }
  | { readonly obra: string; readonly result: 'stopped'; readonly reason: string }
  | { readonly obra: string; readonly result: 'wait'; readonly reason: 'spacing' | 'in-flight'; readonly until: number | null }
  | { readonly obra: string; readonly result: 'idle'; readonly nextDueAt: number | null }
  | { readonly obra: string; readonly result: 'sent'; readonly slot: number; readonly state: SubmissionState; readonly outcome: string };

type Settled = Pick<FinishInput, 'state' | 'outcome' | 'message' | 'receipt' | 'nextAttemptAt' | 'httpStatus'>;

/** What an answer makes of the submission (§3 rules 3–4). */
export function settle(o: DgaSendOutcome, now: number, retryAfterMs: number): Settled {
  const base = { httpStatus: o.httpStatus, receipt: null, nextAttemptAt: null };
  switch (o.kind) {
    case 'accepted':
      return { ...base, state: 'accepted', outcome: 'accepted', message: null, receipt: o.receipt };
    case 'accepted-irregular':
      // DGA holds it (status 00 / Code 0): never resent; the odd receipt is kept as given for a person.
      return { ...base, state: 'accepted', outcome: IRREGULAR_OUTCOME, message: o.reason, receipt: o.receipt };
    case 'duplicate':
      return { ...base, state: 'accepted', outcome: 'duplicate', message: 'DGA already held this measurement (duplicate answer)', receipt: o.receipt };
    case 'not-informant':
      return { ...base, state: 'needs-attention', outcome: 'not-informant', message: 'DGA: the user is not the informant registered for the obra' };
    case 'rejected':
      return { ...base, state: 'rejected', outcome: 'rejected', message: `status ${o.code}: ${o.message}`, nextAttemptAt: now + retryAfterMs };
    case 'invalid':
      return { ...base, state: 'failed', outcome: 'invalid', message: o.reason, nextAttemptAt: now + retryAfterMs };
    default: {
      const unknown: never = o;
      throw new Error(`unknown outcome ${(unknown as { kind: string }).kind}`);
    }
  }
}

export interface DgaSenderOptions {
  readonly config: DgaConfig;
  readonly queue: DgaStore;
  readonly credentials: DgaCredentialStore;
  readonly clients: DgaClients;
  readonly clock: Clock;
  readonly logger: Logger;
  /** This relay process, recorded on claims and audit lines. */
  readonly instance: string;
}

export class DgaSender {
  private readonly log: Logger;
  /** Obras already warned about having no credentials (once per process, not every tick). */
  private readonly warned = new Set<string>();

  constructor(private readonly options: DgaSenderOptions) {
    this.log = options.logger.child({ component: 'dga-send' });
  }

  /** Sends the obra's oldest due slot if the rules allow one now. */
  async sendNext(obra: DgaObraConfig): Promise<SendReport> {
    const { queue, clock, config, instance } = this.options;
    const credentials = await this.options.credentials.get(obra.code);
    if (credentials === undefined) {
      if (!this.warned.has(obra.code)) this.log.warn({ obra: obra.code }, 'no DGA credentials for this obra: nothing is sent (atalaya relay dga credentials)');
      this.warned.add(obra.code);
      return { obra: obra.code, result: 'no-credentials' };
    }
    this.warned.delete(obra.code);
    const claim = await queue.claimNext(obra.code, clock.now(), config.spacingMs, instance);
    switch (claim.kind) {
      case 'claimed':
        return this.attempt(obra, claim.submission, credentials);
      case 'stopped':
        return { obra: obra.code, result: 'stopped', reason: claim.reason };
      case 'wait':
        return { obra: obra.code, result: 'wait', reason: claim.reason, until: claim.until };
      case 'idle':
        return { obra: obra.code, result: 'idle', nextDueAt: claim.nextDueAt };
      default: {
        const unknown: never = claim;
        throw new Error(`unknown claim ${(unknown as { kind: string }).kind}`);
      }
    }
  }

  /** Rows abandoned in `sending` → failed, due unknownOutcomeDelayMs from now. */
  async recoverStale(): Promise<number> {
    const { queue, clock, config, instance } = this.options;
    const now = clock.now();
    const rows = await queue.recoverStale(now - config.timeoutMs - STALE_GRACE_MS, now + config.unknownOutcomeDelayMs, now);
    for (const r of rows) {
      this.log.warn(
        { obra: r.obra, slot: new Date(r.slot).toISOString(), claimedBy: r.claimedBy },
        'DGA send interrupted (relay stopped while sending): outcome unknown, retried once later',
      );
      const message = `claimed by ${r.claimedBy ?? '?'}, never finished; next attempt resolves it (duplicate answer if DGA stored it)`;
      await queue.appendAudit({
        obra: r.obra,
        slot: r.slot,
        attempt: r.attempts,
        phase: 'recovered',
        at: now,
        instance,
        iface: null,
        request: null,
        outcome: 'interrupted',
        httpStatus: null,
        message,
        receipt: null,
      });
    }
    return rows.length;
  }

  private async attempt(obra: DgaObraConfig, s: DgaSubmission, credentials: DgaCredentials): Promise<SendReport> {
    const { queue, clock, config, instance } = this.options;
    const iface = obraInterface(config, obra);
    const client = this.options.clients.get(iface);
    const sentAt = clock.now();
    const ground = emptyValueGround(obra);
    const audit = { obra: s.obra, slot: s.slot, attempt: s.attempts, instance, iface };
    const finish = async (settled: Settled, at: number): Promise<SendReport> => {
      await queue.finish(
        { obra: s.obra, slot: s.slot, claimedBy: instance, now: at, ...settled },
        {
          ...audit,
          phase: 'outcome',
          at,
          request: null,
          outcome: settled.outcome,
          httpStatus: settled.httpStatus,
          message: settled.message,
          receipt: settled.receipt,
        },
      );
      return { obra: s.obra, result: 'sent', slot: s.slot, state: settled.state, outcome: settled.outcome };
    };
    // A person's correction in review is what is sent; the derived values stay on the row as they were.
    const values = s.corrected ?? s.measurement;
    let request: RedactedRequest;
    try {
      if (values === null) throw new Error('a claimed submission without a measurement');
      request = client.describe(s.obra, s.kind, credentials, values, sentAt, ground);
    } catch (err) {
      // Nothing left the relay: the values cannot be sent as DGA requires. A person decides.
      const message = isDgaError(err) ? err.message : 'the measurement cannot be encoded';
      this.log.error(
        { obra: s.obra, slot: new Date(s.slot).toISOString(), code: (err as { code?: unknown }).code, needsAttention: true },
        `DGA measurement cannot be sent: ${message}`,
      );
      const report = await finish(
        { state: 'needs-attention', outcome: 'unsendable', message, receipt: null, nextAttemptAt: null, httpStatus: null },
        clock.now(),
      );
      // Its total is no baseline any more (dga-store previousTotal): slots derived against it are
      // derived again on the next tick rather than staying "went backwards" (issue 14).
      await queue.setRecheckedAt(s.obra, 0);
      return report;
    }
    // Res. 2.170 §6.2 asks for a daily resend, but every resend of a slot DGA may already hold is a
    // risk (§6.3): after maxAttemptsPerSlot automatic sends since a person last retried it, stop.
    const previous = await this.automaticAttempts(s);
    if (previous >= config.maxAttemptsPerSlot) {
      const message = `${previous} automatic sends without an answer that settles it (dga.maxAttemptsPerSlot ${config.maxAttemptsPerSlot}): a person decides (atalaya relay dga retry)`;
      this.log.error(
        { obra: s.obra, slot: new Date(s.slot).toISOString(), attempts: previous, needsAttention: true },
        'DGA slot not sent again: attempt cap reached',
      );
      return finish({ state: 'needs-attention', outcome: EXHAUSTED_OUTCOME, message, receipt: null, nextAttemptAt: null, httpStatus: null }, clock.now());
    }
    await queue.appendAudit({ ...audit, phase: 'request', at: sentAt, request, outcome: null, httpStatus: null, message: null, receipt: null });
    let outcome: DgaSendOutcome;
    try {
      outcome = await client.send(s.obra, s.kind, credentials, values, sentAt, ground);
    } catch (err) {
      outcome = { kind: 'invalid', reason: `client failure (${(err as { code?: unknown }).code ?? (err as Error).name}): outcome unknown`, httpStatus: null };
    }
    const done = clock.now();
    let settled = settle(outcome, done, config.retryAfterMs);
    if ((settled.state === 'failed' || settled.state === 'rejected') && previous + 1 >= config.maxAttemptsPerSlot) {
      const message = `${settled.message ?? settled.outcome}; ${previous + 1} automatic sends (dga.maxAttemptsPerSlot ${config.maxAttemptsPerSlot}): not sent again until a person retries it`;
      settled = { ...settled, state: 'needs-attention', message, nextAttemptAt: null };
    }
    const report = await finish(settled, done);
    this.logOutcome(s, settled);
    if (settled.outcome === 'not-informant') await queue.stopObra(s.obra, settled.message ?? 'needs attention', done);
    // An irregular receipt cannot be looked up (the GET needs a well-formed one): a person checks it.
    if (settled.state === 'accepted' && settled.outcome !== IRREGULAR_OUTCOME && settled.receipt !== null && config.verifyReceipts)
      await this.verify(client, s, settled.receipt, ground);
    return report;
  }

  /** Sends of this slot audited since a person last queued it again (`retry`), this one excluded. */
  private async automaticAttempts(s: DgaSubmission): Promise<number> {
    let n = 0;
    for (const line of await this.options.queue.audit(s.obra, s.slot)) {
      if (line.phase === 'retry') n = 0;
      else if (line.phase === 'request') n++;
    }
    return n;
  }

  private logOutcome(s: DgaSubmission, r: Settled): void {
    const ctx = { obra: s.obra, slot: new Date(s.slot).toISOString(), attempt: s.attempts, outcome: r.outcome, httpStatus: r.httpStatus, receipt: r.receipt };
    if (r.outcome === IRREGULAR_OUTCOME)
      this.log.error(
        { ...ctx, reason: r.message, needsAttention: true },
        'DGA accepted the measurement with an irregular receipt: never resent; a person should check it',
      );
    else if (r.state === 'accepted') this.log.info(ctx, r.outcome === 'duplicate' ? 'DGA already held the measurement' : 'DGA accepted the measurement');
    else if (r.outcome === 'not-informant')
      this.log.error({ ...ctx, needsAttention: true }, 'DGA: not the registered informant; sends of this obra stopped until its credentials are set again');
    else if (r.state === 'needs-attention')
      this.log.error(
        { ...ctx, reason: r.message, needsAttention: true },
        'DGA send not accepted and the attempt cap is reached: not sent again until a person retries it',
      );
    else
      this.log.warn(
        { ...ctx, reason: r.message, nextAttemptAt: r.nextAttemptAt === null ? null : new Date(r.nextAttemptAt).toISOString() },
        'DGA send not accepted; retried later',
      );
  }

  /** Reads the measurement back by receipt and compares (numbers numerically, dates in either form). */
  private async verify(client: DgaClient, s: DgaSubmission, receipt: string, ground: EmptyValueGround | undefined): Promise<void> {
    const { queue, clock, instance } = this.options;
    let verification: string;
    try {
      const answer = await client.query(s.obra, s.kind, receipt);
      if (answer.kind === 'found') {
        const diff = measurementDifferences(formatMeasurement(s.kind, (s.corrected ?? s.measurement)!, ground), answer.measurement);
        verification = diff.length === 0 ? 'match' : `differs: ${diff.join(', ')}`;
      } else verification = `unchecked: ${answer.kind === 'rejected' ? `status ${answer.code}: ${answer.message}` : answer.reason}`;
    } catch (err) {
      verification = `unchecked: ${(err as { code?: unknown }).code ?? 'error'}`;
    }
    const now = clock.now();
    if (verification.startsWith('differs'))
      this.log.warn({ obra: s.obra, slot: new Date(s.slot).toISOString(), receipt, verification }, 'DGA holds other values than sent under this receipt');
    await queue.setVerification(s.obra, s.slot, verification, now);
    await queue.appendAudit({
      obra: s.obra,
      slot: s.slot,
      attempt: s.attempts,
      phase: 'verify',
      at: now,
      instance,
      iface: client.iface,
      request: null,
      outcome: verification,
      httpStatus: null,
      message: null,
      receipt,
    });
  }
}
