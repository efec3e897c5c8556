/**
 * Status detectors (issue 13 §1): DGA reporting and anchoring, read from their stores each pass.
 * Each returns the conditions true now; the engine opens an alert for a new condition and closes
 * the open alert of a condition that is gone (`closesWhenGone`), or leaves it to an ack for an
 * event (a reorg) that has no end of its own.
 */

import type { FactValue, NewAlert } from '../store/alerts-types.ts';
import type { AnchorStore } from '../store/anchor-types.ts';
import type { DgaStore } from '../store/dga-types.ts';
import type { AlertsConfig } from './config.ts';

export interface Condition {
  readonly family: string;
  readonly kind: string;
  readonly severity: NewAlert['severity'];
  readonly obra: string | null;
  /** The gateway whose organization owns the alert (issue 15): a DGA obra's; null: relay-wide. */
  readonly ownerGateway?: string | undefined;
  readonly title: string;
  readonly facts: Readonly<Record<string, FactValue>>;
  readonly closesWhenGone: boolean;
}

/** Kinds the status detectors own: an open alert of one of these whose condition is gone is closed. */
export const STATUS_KINDS = ['dga_failed', 'dga_stopped', 'dga_late', 'anchor_unconfirmed', 'anchor_errors', 'anchor_reorg'] as const;

export interface StatusSources {
  readonly dga?:
    | {
        readonly store: Pick<DgaStore, 'submissions' | 'obraState' | 'summary'>;
        readonly obras: readonly string[];
        /** The gateway of each obra (relay config), whose organization its alerts belong to (issue 15). */
        readonly gatewayOf?: ((obra: string) => string | undefined) | undefined;
      }
    | undefined;
  readonly anchor?: Pick<AnchorStore, 'listBatches' | 'errors'> | undefined;
}

const H = 3_600_000;
const MIN = 60_000;

export async function dgaConditions(config: AlertsConfig, dga: NonNullable<StatusSources['dga']>, now: number): Promise<Condition[]> {
  const out: Condition[] = [];
  for (const obra of dga.obras) {
    for (const s of await dga.store.submissions(obra, { states: ['failed', 'rejected', 'needs-attention'], limit: 100 })) {
      const slot = new Date(s.slot).toISOString();
      out.push({
        family: `dga:${obra}:${s.slot}`,
        kind: 'dga_failed',
        severity: s.state === 'failed' ? 'warning' : 'alarm',
        obra,
        title: `DGA report ${obra} ${slot}: ${s.state}`,
        facts: { obra, slot, state: s.state },
        closesWhenGone: true,
      });
    }
    const state = await dga.store.obraState(obra);
    if (state?.stoppedAt !== null && state?.stoppedAt !== undefined) {
      out.push({
        family: `dga-stopped:${obra}`,
        kind: 'dga_stopped',
        severity: 'alarm',
        obra,
        title: `DGA reporting stopped for ${obra}: ${state.stoppedReason ?? 'stopped'}`,
        facts: { obra, reason: state.stoppedReason, stoppedAt: state.stoppedAt },
        closesWhenGone: true,
      });
    }
    const summary = await dga.store.summary(obra, now, config.dgaLateAfterHours * H);
    const last = summary.lastAccepted;
    if (last !== null && now - last.acceptedAt > config.dgaLateAfterHours * H) {
      out.push({
        family: `dga-late:${obra}`,
        kind: 'dga_late',
        severity: 'warning',
        obra,
        title: `DGA: nothing accepted for ${obra} in ${config.dgaLateAfterHours} h`,
        facts: { obra, lastAcceptedAt: last.acceptedAt },
        closesWhenGone: true,
      });
    }
  }
  // An obra's alerts belong to its gateway's organization (issue 15, cloud/store/migrations-orgs.ts).
  return dga.gatewayOf === undefined ? out : out.map((c) => ({ ...c, ownerGateway: c.obra === null ? undefined : dga.gatewayOf?.(c.obra) }));
}

export async function anchorConditions(config: AlertsConfig, anchor: NonNullable<StatusSources['anchor']>, now: number): Promise<Condition[]> {
  const out: Condition[] = [];
  for (const b of await anchor.listBatches({ limit: 200, status: ['pending', 'sent', 'mined'] })) {
    if (now - b.createdAt > config.anchorUnconfirmedAfterMinutes * MIN) {
      out.push({
        family: `anchor-unconfirmed:${b.id}`,
        kind: 'anchor_unconfirmed',
        severity: 'warning',
        obra: null,
        title: `Anchor batch ${b.id} not confirmed after ${config.anchorUnconfirmedAfterMinutes} min (${b.status})`,
        facts: { batch: b.id, status: b.status, createdAt: b.createdAt },
        closesWhenGone: true,
      });
    }
  }
  for (const b of await anchor.listBatches({ limit: 200 })) {
    if (b.reorgs > 0)
      out.push({
        family: `anchor-reorg:${b.id}:${b.reorgs}`,
        kind: 'anchor_reorg',
        severity: 'warning',
        obra: null,
        title: `Anchor batch ${b.id}: block reorganised (${b.reorgs}×), transaction rebroadcast`,
        facts: { batch: b.id, reorgs: b.reorgs },
        closesWhenGone: false,
      });
  }
  const recent = new Map<string, number>();
  for (const e of await anchor.errors(200)) if (now - Number(e.lastAt) < H) recent.set(e.code, (recent.get(e.code) ?? 0) + Number(e.count));
  for (const [code, count] of recent) {
    if (count >= config.anchorErrorsRepeat)
      out.push({
        family: `anchor-errors:${code}`,
        kind: 'anchor_errors',
        severity: 'warning',
        obra: null,
        title: `Anchoring: ${code} ${count}× in the last hour`,
        facts: { code, count },
        closesWhenGone: true,
      });
  }
  return out;
}
