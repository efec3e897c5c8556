/**
 * The relay's DGA reporting: one tick derives the slots that came due (derive.ts) and sends what
 * the rules allow (sender.ts), for every configured obra; the scheduler (scheduler.ts) runs ticks,
 * `atalaya relay dga send-pending` runs one. Several relays on one PostgreSQL database: one runs
 * ticks at a time (advisory lock); the claims keep sends right even if two did.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { Clock } from '../../protocols/clock.ts';
import type { DgaCredentials } from '../../protocols/dga/index.ts';
import { AtalayaError, isAtalayaError } from '../../protocols/errors.ts';
import { SECRET_UNDECRYPTABLE } from '../errors.ts';
import { KEY_MISMATCH } from '../ingest/errors.ts';
import type { DerivedBatch, DgaAuditEntry, DgaStore, DgaSubmission, SubmissionState } from '../store/dga-types.ts';
import type { RelayStore } from '../store/types.ts';
import type { DgaClients } from './clients.ts';
import type { DgaConfig, DgaObraConfig } from './config.ts';
import { DgaCredentialStore } from './credentials.ts';
import { SlotDeriver } from './derive.ts';
import { alreadyAccepted, invalidSlot, notRetryable, unknownObra, unknownSlot } from './errors.ts';
import { DgaReview } from './review.ts';
import type { SendReport } from './sender.ts';
import { DgaSender } from './sender.ts';
import type { DgaObraDetail, DgaObraStatus } from './status.ts';
import { obraDetail, obraStatus, slotIso } from './status.ts';

export interface DgaEngineOptions {
  readonly config: DgaConfig;
  /** The relay's records, read to derive the slots. */
  readonly records: RelayStore;
  readonly queue: DgaStore;
  /** The relay key: DGA credentials are encrypted with it. */
  readonly key: Buffer;
  readonly clients: DgaClients;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Names this process on claims and audit lines; default host/pid/random. */
  readonly instance?: string;
}

export interface ObraTick {
  readonly obra: string;
  readonly derived: number;
  readonly missing: number;
  /** Missing slots that late readings turned into measurements. */
  readonly recovered: number;
  /** Slots a plausibility check held for review (not sent until a person acts). */
  readonly review: number;
  readonly send: SendReport | { readonly obra: string; readonly result: 'error'; readonly code: string };
}

export type TickReport =
  | { readonly ran: true; readonly interrupted: number; readonly obras: readonly ObraTick[] }
  /** `locked`: another relay runs the scheduler; `busy`: a tick of this relay is in flight; `stopped`. */
  | { readonly ran: false; readonly reason: 'locked' | 'busy' | 'stopped' };

export interface RetryResult {
  readonly obra: string;
  readonly slot: string;
  readonly from: SubmissionState;
  readonly to: SubmissionState;
  /** The obra is stopped (not the registered informant): nothing is sent until its credentials are set. */
  readonly obraStopped: boolean;
}

export class DgaEngine {
  private readonly log: Logger;
  private readonly deriver: SlotDeriver;
  private readonly sender: DgaSender;
  /** Slots held for a person: list, approve, correct, mark missing (review.ts). */
  readonly review: DgaReview;
  private readonly credentials: DgaCredentialStore;
  private readonly instance: string;
  private ticking: Promise<TickReport> | undefined;
  private stopped = false;

  constructor(private readonly options: DgaEngineOptions) {
    const { config, records, queue, clock, logger, clients } = options;
    this.log = logger.child({ component: 'dga' });
    this.instance = options.instance ?? `${hostname()}/${process.pid}/${randomBytes(3).toString('hex')}`;
    this.credentials = new DgaCredentialStore(queue, options.key);
    this.deriver = new SlotDeriver({ config, records, queue, clock, logger, instance: this.instance });
    this.review = new DgaReview({ config, records, queue, clock, logger, instance: this.instance });
    this.sender = new DgaSender({ config, queue, credentials: this.credentials, clients, clock, logger, instance: this.instance });
  }

  get config(): DgaConfig {
    return this.options.config;
  }

  /**
   * Checks the relay key against the stored credentials (a wrong key refuses to start, as for
   * gateway secrets), then settles sends a previous run left `sending` (sender.ts explains why
   * not at once).
   */
  async start(): Promise<void> {
    this.stopped = false;
    await this.verifyCredentials();
    const interrupted = await this.sender.recoverStale();
    this.log.info({ obras: this.options.config.obras.length, interrupted, instance: this.instance }, 'DGA reporting started');
  }

  /** Waits for a tick in flight, then closes the clients. Idempotent. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.ticking?.catch(() => undefined);
    await this.options.clients.close();
  }

  /** Derive what came due and send what the rules allow, once. Never two at a time in one relay. */
  tick(): Promise<TickReport> {
    if (this.stopped) return Promise.resolve({ ran: false, reason: 'stopped' });
    if (this.ticking !== undefined) return Promise.resolve({ ran: false, reason: 'busy' });
    const run = this.runTick().finally(() => {
      this.ticking = undefined;
    });
    this.ticking = run;
    return run;
  }

  async status(obra?: string): Promise<DgaObraStatus[]> {
    const obras = obra === undefined ? this.options.config.obras : [this.obra(obra)];
    const now = this.options.clock.now();
    const out: DgaObraStatus[] = [];
    for (const o of obras) out.push(await obraStatus(this.options.config, o, this.options.queue, now));
    return out;
  }

  detail(obra: string, recent = 48): Promise<DgaObraDetail> {
    return obraDetail(this.options.config, this.obra(obra), this.options.queue, this.options.clock.now(), recent);
  }

  /** One slot's row (derived values, correction, review) and its audit trail, oldest line first. */
  async slot(obra: string, slot: number): Promise<{ submission: DgaSubmission; audit: DgaAuditEntry[] }> {
    const o = this.obra(obra);
    const submission = await this.options.queue.submission(o.code, slot);
    if (submission === undefined) throw unknownSlot(o.code, slotIso(slot));
    return { submission, audit: await this.options.queue.audit(o.code, slot) };
  }

  /**
   * A failed, rejected or needs-attention slot back to pending, due now (the spacing still
   * applies); a missing slot derived again. Refuses an accepted slot: it is never sent again.
   */
  async retry(obra: string, slot: number | string): Promise<RetryResult> {
    const o = this.obra(obra);
    const slotMs = typeof slot === 'number' ? slot : parseSlot(slot);
    const label = slotIso(slotMs);
    const { queue, clock } = this.options;
    const current = await queue.submission(o.code, slotMs);
    if (current === undefined) throw unknownSlot(o.code, label);
    const stopped = (await queue.obraState(o.code))?.stoppedAt != null;
    if (current.state === 'accepted') throw alreadyAccepted(o.code, label);
    // review: a person's approve, correct or mark-missing (review.ts), not a retry; a slot a person
    // marked missing stays missing.
    if (current.state === 'pending' || current.state === 'sending' || current.state === 'review' || current.reviewAction === 'mark-missing') {
      throw notRetryable(o.code, label, current.state);
    }
    const now = clock.now();
    if (current.state === 'missing') {
      const input = await this.deriver.deriveSlot(o, slotMs);
      await queue.putSlots([{ obra: o.code, inputs: [input], derivedThrough: slotMs }], now, this.instance);
      const held = 'findings' in input && input.findings !== undefined && input.findings.length > 0;
      return { obra: o.code, slot: label, from: 'missing', to: 'measurement' in input ? (held ? 'review' : 'pending') : 'missing', obraStopped: stopped };
    }
    const r = await queue.retry(o.code, slotMs, now);
    if (r === undefined) throw unknownSlot(o.code, label);
    if (!r.changed) throw notRetryable(o.code, label, r.from);
    await queue.appendAudit({
      obra: o.code,
      slot: slotMs,
      attempt: r.attempts,
      phase: 'retry',
      at: now,
      instance: this.instance,
      iface: null,
      request: null,
      outcome: null,
      httpStatus: null,
      message: `operator retry from ${r.from}`,
      receipt: null,
    });
    this.log.info({ obra: o.code, slot: label, from: r.from }, 'DGA slot queued again by an operator');
    return { obra: o.code, slot: label, from: r.from, to: 'pending', obraStopped: stopped };
  }

  /** Stores the obra's credentials (encrypted) and lifts a not-informant stop. Returns the slots queued again. */
  async setCredentials(obra: string, credentials: DgaCredentials): Promise<number> {
    const o = this.obra(obra);
    const now = this.options.clock.now();
    await this.credentials.set(o.code, credentials, now);
    await this.options.queue.ensureObra(o.code, now);
    const resumed = await this.options.queue.resumeObra(o.code, now);
    this.log.info({ obra: o.code, resumed }, 'DGA credentials set');
    return resumed;
  }

  private async verifyCredentials(): Promise<void> {
    const failed: string[] = [];
    for (const o of this.options.config.obras) {
      try {
        await this.credentials.get(o.code);
      } catch (err) {
        if (!isAtalayaError(err, SECRET_UNDECRYPTABLE)) throw err;
        failed.push(o.code);
      }
    }
    if (failed.length > 0) {
      throw new AtalayaError(
        KEY_MISMATCH,
        `the relay key does not decrypt the DGA credentials of ${failed.length} obras (first: ${failed[0]}); is it the key they were set with?`,
        {
          details: { obras: failed.slice(0, 20) },
        },
      );
    }
  }

  private obra(code: string): DgaObraConfig {
    const o = this.options.config.obras.find((x) => x.code === code);
    if (o === undefined) throw unknownObra(code);
    return o;
  }

  private async runTick(): Promise<TickReport> {
    const locked = await this.options.queue.withSchedulerLock(async () => {
      const interrupted = await this.sender.recoverStale();
      const derived = new Map<string, { derived: number; missing: number; recovered: number; review: number }>();
      const batches: DerivedBatch[] = [];
      for (const obra of this.options.config.obras) {
        try {
          const { batch, ...counts } = await this.deriver.deriveObra(obra);
          derived.set(obra.code, counts);
          if (batch !== null) batches.push(batch);
        } catch (err) {
          this.log.error({ obra: obra.code, err }, 'DGA slot derivation failed');
        }
      }
      // The whole tick's derivation in one transaction (one commit, not one per obra or slot).
      try {
        await this.options.queue.putSlots(batches, this.options.clock.now(), this.instance);
      } catch (err) {
        // Nothing of it is stored (derivedThrough did not move): the next tick derives it again.
        this.log.error({ err, obras: batches.length }, 'DGA derived slots could not be stored');
        for (const b of batches) derived.delete(b.obra);
      }
      const obras: ObraTick[] = [];
      for (const obra of this.options.config.obras) {
        if (this.stopped) break;
        const d = derived.get(obra.code) ?? { derived: 0, missing: 0, recovered: 0, review: 0 };
        let send: ObraTick['send'];
        try {
          send = await this.sender.sendNext(obra);
        } catch (err) {
          this.log.error({ obra: obra.code, err }, 'DGA send step failed');
          send = { obra: obra.code, result: 'error', code: String((err as { code?: unknown }).code ?? 'error') };
        }
        obras.push({ obra: obra.code, ...d, send });
      }
      return { interrupted, obras };
    });
    if (!locked.ran) {
      this.log.debug('another relay runs the DGA scheduler: tick skipped');
      return { ran: false, reason: 'locked' };
    }
    return { ran: true, ...locked.value };
  }
}

/** An ISO 8601 instant with an offset, or epoch ms. */
export function parseSlot(text: string): number {
  if (/^\d{1,15}$/.test(text)) return Number(text);
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/.test(text)) {
    const ms = Date.parse(text);
    if (Number.isFinite(ms)) return ms;
  }
  throw invalidSlot(text);
}
