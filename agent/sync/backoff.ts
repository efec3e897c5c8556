import type { BackoffConfig } from './schema.ts';

/**
 * Delay before the next attempt after `failures` consecutive failures (≥ 1), ms:
 * initialMs × factor^(failures − 1), capped at maxMs, spread by ±jitter so that gateways cut off
 * together do not return in step, and capped at maxMs again after the spread (a relay down for
 * days is retried every maxMs at most, never more often than maxMs × (1 − jitter)).
 * `random` returns [0, 1) like Math.random.
 */
export function backoffDelay(failures: number, backoff: BackoffConfig, random: () => number): number {
  const exponent = Math.max(0, failures - 1);
  const base = Math.min(backoff.maxMs, backoff.initialMs * backoff.factor ** exponent);
  return spread(base, backoff, random);
}

/** The delay after a refusal that retrying the same request cannot fix: the longest one. */
export function refusedDelay(backoff: BackoffConfig, random: () => number): number {
  return spread(backoff.maxMs, backoff, random);
}

function spread(base: number, backoff: BackoffConfig, random: () => number): number {
  const factor = 1 + backoff.jitter * (2 * random() - 1);
  return Math.max(1, Math.round(Math.min(backoff.maxMs, base * factor)));
}
