/** The relay config's `identity:` section (issue 15 §3): sign-in limits and session lifetimes. */
import { z } from 'zod';

const seconds = (min: number, max: number, def: number, what: string) => z.number().int().min(min).max(max).default(def).describe(what);

export const identityConfigSchema = z.strictObject({
  sessionTtlS: seconds(60, 30 * 86_400, 12 * 3600, 'A dashboard session ends this long after sign-in, s (60..2 592 000, default 12 h)'),
  idleTimeoutS: seconds(60, 86_400, 30 * 60, 'A session unused this long ends, s (60..86 400, default 30 min)'),
  maxFailures: seconds(1, 100, 5, 'Wrong passwords in a row that lock a user (1..100)'),
  lockoutS: seconds(1, 86_400, 15 * 60, 'How long a locked user stays locked, s (1..86 400, default 15 min)'),
  ipAttempts: seconds(1, 100_000, 30, 'Sign-in attempts one address may make per ipWindowS, whatever the user (1..100 000); more → 429'),
  ipWindowS: seconds(1, 86_400, 15 * 60, 'The per-address window, s (1..86 400, default 15 min)'),
});

/** Sign-in and session limits, in ms, as the identity service uses them. */
export interface IdentityOptions {
  readonly sessionTtlMs: number;
  readonly idleTimeoutMs: number;
  readonly maxFailures: number;
  readonly lockoutMs: number;
  readonly ipAttempts: number;
  readonly ipWindowMs: number;
}

export type IdentityConfig = z.output<typeof identityConfigSchema>;

export function identityOptions(c: IdentityConfig): IdentityOptions {
  return {
    sessionTtlMs: c.sessionTtlS * 1000,
    idleTimeoutMs: c.idleTimeoutS * 1000,
    maxFailures: c.maxFailures,
    lockoutMs: c.lockoutS * 1000,
    ipAttempts: c.ipAttempts,
    ipWindowMs: c.ipWindowS * 1000,
  };
}
