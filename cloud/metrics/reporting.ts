import type { Registry } from 'prom-client';
import { scrapedCounter, scrapedGauge } from '../../platform/metrics.ts';
import type { DgaObraStatus } from '../dga/status.ts';
import { type AnchorStats, BATCH_STATUSES } from '../store/anchor-types.ts';
import { SUBMISSION_STATES } from '../store/dga-types.ts';

/** Answers from the caches; undefined when the feature is disabled or its store failed. */
export interface ReportingReads {
  readonly dga: () => Promise<readonly DgaObraStatus[] | undefined>;
  readonly anchor: () => Promise<AnchorStats | undefined>;
}

/** DGA reporting (Res. 2.170) and anchoring: their queues' state, read from the database. */
export function registerReportingMetrics(registry: Registry, reads: ReportingReads): void {
  const perObra = (value: (o: DgaObraStatus) => number) => async () => {
    const obras = await reads.dga();
    return obras === undefined ? null : obras.map((o) => [{ obra: o.obra }, value(o)] as const);
  };
  scrapedGauge(registry, {
    name: 'atalaya_dga_submissions',
    help: 'DGA submissions (one per obra and hourly slot) by state: pending, sending, accepted, rejected, failed, needs-attention, missing',
    labelNames: ['obra', 'state'],
    read: async () => {
      const obras = await reads.dga();
      return obras === undefined ? null : obras.flatMap((o) => SUBMISSION_STATES.map((state) => [{ obra: o.obra, state }, o.counts[state] ?? 0] as const));
    },
  });
  scrapedGauge(registry, {
    name: 'atalaya_dga_late_unsent',
    help: 'Slots past their one-hour send window and not accepted (missing ones included): transmission failures',
    labelNames: ['obra'],
    read: perObra((o) => o.lateUnsent),
  });
  scrapedGauge(registry, {
    name: 'atalaya_dga_obra_stopped',
    help: '1 while reporting of the obra is stopped and waits for a person',
    labelNames: ['obra'],
    read: perObra((o) => (o.stopped === null ? 0 : 1)),
  });

  const anchor = (value: (s: AnchorStats) => number | null) => async () => {
    const s = await reads.anchor();
    return s === undefined ? null : value(s);
  };
  scrapedGauge(registry, {
    name: 'atalaya_anchor_batches',
    help: 'Anchor batches by status: building, pending, sent, mined, confirmed',
    labelNames: ['status'],
    read: async () => {
      const s = await reads.anchor();
      return s === undefined ? null : BATCH_STATUSES.map((status) => [{ status }, s.batches[status]] as const);
    },
  });
  scrapedGauge(registry, {
    name: 'atalaya_anchor_pending_batches',
    help: 'Batches not yet confirmed on chain (building, pending, sent or mined)',
    read: anchor((s) => BATCH_STATUSES.filter((st) => st !== 'confirmed').reduce((n, st) => n + s.batches[st], 0)),
  });
  scrapedGauge(registry, { name: 'atalaya_anchor_last_gas_used', help: 'Gas used by the newest batch in a block', read: anchor((s) => s.lastGasUsed) });
  scrapedCounter(registry, {
    name: 'atalaya_anchor_gas_used_total',
    help: 'Gas used by every batch in a block (a reorg takes its batch out until re-anchored)',
    read: anchor((s) => s.gasUsed),
  });
  scrapedCounter(registry, {
    name: 'atalaya_anchor_errors_total',
    help: 'Errors logged talking to the chain (GET /v1/anchors/errors), repeats included',
    read: anchor((s) => s.errors),
  });
}
