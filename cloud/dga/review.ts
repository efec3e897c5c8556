/**
 * Review before sending (issue 14 §2, docs/dga.md#review-before-sending): slots a plausibility
 * check held (state `review`) wait for a person, who approves them (the derived values are sent),
 * corrects them (the corrected values are sent; the readings and the derived values stay as they
 * were) or marks them missing. Each action is one transaction with its audit line naming who
 * acted and why. Approving queues the slot like any other: the claim still sends one at a time
 * per obra, spacingMs apart, and a slot held past its send window counts as late.
 */
import type { Logger } from 'pino';
import type { Clock } from '../../protocols/clock.ts';
import type { Finding, Measurement } from '../../protocols/dga/index.ts';
import { formatMeasurement, isDgaError } from '../../protocols/dga/index.ts';
import type { DgaStore, DgaSubmission, ReviewActionKind, SubmissionState } from '../store/dga-types.ts';
import type { RelayStore } from '../store/types.ts';
import type { DgaConfig, DgaObraConfig } from './config.ts';
import { emptyValueGround } from './config.ts';
import { channelPlans } from './derive.ts';
import { notInReview, reviewInvalid, unknownObra, unknownSlot } from './errors.ts';
import { SEND_WINDOW_MS, slotIso } from './status.ts';

/** The values a person may correct, in DGA units (l/s, m³, m, cm). */
export const CORRECTABLE = ['caudal', 'totalizador', 'nivelFreatico', 'alturaLimnimetrica'] as const;
export type CorrectableField = (typeof CORRECTABLE)[number];

const MAX_REASON = 1000;
const MAX_ACTOR = 128;

export interface ChannelSummary {
  readonly field: string;
  readonly channel: string;
  /** Readings within ±toleranceMs of the slot, and how many of them were good. */
  readonly readings: number;
  readonly good: number;
  readonly min: number | null;
  readonly max: number | null;
  readonly unit: string | null;
}

export interface DgaReviewItem {
  readonly obra: string;
  readonly slot: string;
  readonly slotMs: number;
  readonly kind: DgaSubmission['kind'];
  /** The values as derived (what approve sends). */
  readonly measurement: Measurement | null;
  readonly findings: readonly Finding[];
  /** Past its send window (slot + 1 h): reported late once sent. */
  readonly late: boolean;
  readonly readings: readonly ChannelSummary[];
}

export interface ReviewInput {
  readonly actor: string;
  readonly reason?: string | null | undefined;
  /** correct: the fields to replace (others keep their derived value). */
  readonly values?: Readonly<Partial<Record<CorrectableField, number>>> | undefined;
}

export interface ReviewResult {
  readonly obra: string;
  readonly slot: string;
  readonly action: ReviewActionKind;
  readonly from: SubmissionState;
  readonly to: SubmissionState;
  /** What will be sent (null after mark-missing). */
  readonly measurement: Measurement | null;
}

export interface DgaReviewOptions {
  readonly config: DgaConfig;
  readonly records: RelayStore;
  readonly queue: DgaStore;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly instance: string;
}

export class DgaReview {
  private readonly log: Logger;

  constructor(private readonly options: DgaReviewOptions) {
    this.log = options.logger.child({ component: 'dga-review' });
  }

  /** Slots in review, oldest first, per obra (all obras, or one). */
  async list(obra?: string, limit = 200): Promise<DgaReviewItem[]> {
    const obras = obra === undefined ? this.options.config.obras : [this.obra(obra)];
    const now = this.options.clock.now();
    const out: DgaReviewItem[] = [];
    for (const o of obras) {
      const rows = await this.options.queue.submissions(o.code, { states: ['review'], limit });
      for (const s of rows.reverse()) {
        out.push({
          obra: s.obra,
          slot: slotIso(s.slot),
          slotMs: s.slot,
          kind: s.kind,
          measurement: s.measurement,
          findings: s.findings ?? [],
          late: now > s.slot + SEND_WINDOW_MS,
          readings: await this.summary(o, s.slot),
        });
      }
    }
    return out;
  }

  async act(obra: string, slot: number, action: ReviewActionKind, input: ReviewInput): Promise<ReviewResult> {
    const o = this.obra(obra);
    const label = slotIso(slot);
    const actor = input.actor.trim();
    if (actor === '' || actor.length > MAX_ACTOR) throw reviewInvalid('actor', `who acts is required (1..${MAX_ACTOR} characters)`);
    const reason = input.reason?.trim() ?? '';
    if (reason.length > MAX_REASON) throw reviewInvalid('reason', `at most ${MAX_REASON} characters`);
    if (action !== 'approve' && reason === '')
      throw reviewInvalid('reason', `a written reason is required to ${action === 'correct' ? 'correct' : 'mark missing'}`);
    const current = await this.options.queue.submission(o.code, slot);
    if (current === undefined) throw unknownSlot(o.code, label);
    if (current.state !== 'review') throw notInReview(o.code, label, current.state);
    const corrected = action === 'correct' ? this.corrected(o, current, input.values) : null;
    const now = this.options.clock.now();
    const r = await this.options.queue.review({
      obra: o.code,
      slot,
      action,
      actor,
      reason: reason === '' ? null : reason,
      corrected,
      now,
      instance: this.options.instance,
    });
    if (r === undefined) throw unknownSlot(o.code, label);
    if (!r.changed) throw notInReview(o.code, label, r.from);
    const to: SubmissionState = action === 'mark-missing' ? 'missing' : 'pending';
    this.log.info({ obra: o.code, slot: label, action, actor, reason }, 'DGA slot reviewed');
    return { obra: o.code, slot: label, action, from: 'review', to, measurement: to === 'missing' ? null : (corrected ?? current.measurement) };
  }

  /** The derived measurement with the person's values over it, refused unless DGA can take it. */
  private corrected(o: DgaObraConfig, s: DgaSubmission, values: ReviewInput['values']): Measurement {
    if (values === undefined || values === null || typeof values !== 'object')
      throw reviewInvalid('values', `expected an object with one or more of ${CORRECTABLE.join(', ')}`);
    const entries = Object.entries(values);
    if (entries.length === 0) throw reviewInvalid('values', `expected one or more of ${CORRECTABLE.join(', ')}`);
    const fields: Record<string, number> = {};
    for (const [k, v] of entries) {
      if (!(CORRECTABLE as readonly string[]).includes(k)) throw reviewInvalid(`values.${k}`, `not a correctable value (${CORRECTABLE.join(', ')})`);
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw reviewInvalid(`values.${k}`, 'expected a finite number ≥ 0');
      fields[k] = v;
    }
    const m: Measurement = { ...(s.measurement ?? {}), ...fields, at: s.slot };
    try {
      formatMeasurement(s.kind, m, emptyValueGround(o));
    } catch (err) {
      if (!isDgaError(err)) throw err;
      throw reviewInvalid('values', `DGA cannot take these values: ${err.message}`, err);
    }
    return m;
  }

  /** Per channel: the readings within ±tolerance of the slot (count, good, min and max as recorded). */
  private async summary(o: DgaObraConfig, slot: number): Promise<ChannelSummary[]> {
    const tol = this.options.config.toleranceMs;
    const out: ChannelSummary[] = [];
    for (const plan of channelPlans(o)) {
      const page = await this.options.records.queryRecords({
        gateway: o.gateway,
        device: o.device,
        channel: plan.channel,
        kind: 'reading',
        from: slot - tol,
        to: slot + tol + 1,
        limit: 1000,
      });
      const values = page.items.filter((r) => r.quality === 'good' && r.value !== null).map((r) => r.value as number);
      out.push({
        field: plan.slotKey,
        channel: plan.channel,
        readings: page.items.length,
        good: values.length,
        min: values.length === 0 ? null : Math.min(...values),
        max: values.length === 0 ? null : Math.max(...values),
        unit: page.items[0]?.unit ?? null,
      });
    }
    return out;
  }

  private obra(code: string): DgaObraConfig {
    const o = this.options.config.obras.find((x) => x.code === code);
    if (o === undefined) throw unknownObra(code);
    return o;
  }
}
