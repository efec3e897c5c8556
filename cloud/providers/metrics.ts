import { Counter, type Registry } from 'prom-client';

/** Counts of the provider sources (cloud/providers), per source: what was stored, refused, found wrong. */
export interface SourceMetrics {
  /** A webhook delivery or a pull: outcome stored, duplicate, unauthenticated, malformed, failed, unavailable. */
  outcome(source: string, outcome: string, n?: number): void;
  /** Problems found in what a provider sent, by reason (README.md). */
  problems(source: string, reasons: readonly { readonly reason: string }[]): void;
  records(source: string, n: number): void;
}

export function registerSourceMetrics(registry: Registry): SourceMetrics {
  const outcomes = new Counter({
    name: 'atalaya_relay_source_requests_total',
    help: 'Provider source deliveries (TTS webhook) and pulls (Tago, HTTP) by source and outcome: stored, duplicate, unauthenticated, malformed, failed, unavailable',
    labelNames: ['source', 'outcome'] as const,
    registers: [registry],
  });
  const problems = new Counter({
    name: 'atalaya_relay_source_problems_total',
    help: 'What a provider sent that could not be used, by source and reason: malformed, unknown_device, missing_field, not_a_number, bad_row, bad_time, not_uplink',
    labelNames: ['source', 'reason'] as const,
    registers: [registry],
  });
  const records = new Counter({
    name: 'atalaya_relay_source_records_total',
    help: 'Records newly stored from provider sources, by source',
    labelNames: ['source'] as const,
    registers: [registry],
  });
  return {
    outcome: (source, outcome, n = 1) => outcomes.inc({ source, outcome }, n),
    problems: (source, list) => {
      for (const p of list) problems.inc({ source, reason: p.reason });
    },
    records: (source, n) => {
      if (n > 0) records.inc({ source }, n);
    },
  };
}

/** For tests and tools that run sources without a registry. */
export const NO_SOURCE_METRICS: SourceMetrics = { outcome: () => undefined, problems: () => undefined, records: () => undefined };
