import { z } from 'zod';

/**
 * The fleet channel's `config` part (issue 16 §2). The gateway reports which desired version it
 * runs and what happened to the last one it was sent; the relay answers with the desired config
 * when it is a version the gateway has not yet tried.
 */
export const CONFIG_STATES = ['local', 'probation', 'applied', 'refused', 'rolled_back'] as const;
export type ConfigState = (typeof CONFIG_STATES)[number];

const version = z
  .number()
  .int()
  .min(1)
  .max(2 ** 31 - 1);

export const configReportSchema = z.strictObject({
  /** Desired version the gateway runs now; null: its local file. */
  applied: version.nullable(),
  /** The last version the gateway was sent and what became of it (local: none yet, or the local file was chosen again). */
  version: version.nullable(),
  state: z.enum(CONFIG_STATES),
  /** Why, for refused (the path-level problems) and rolled_back; at most 2000 characters. */
  reason: z.string().max(2000).nullable(),
});
export type ConfigReport = z.infer<typeof configReportSchema>;

export const configAnswerSchema = z.strictObject({
  version,
  /** The config as the operator wrote it: YAML (JSON is YAML), at most 1 MiB. */
  yaml: z.string().max(1_048_576),
  /** sha256 hex of `yaml` as UTF-8: the gateway checks it before anything else. */
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});
export type ConfigAnswer = z.infer<typeof configAnswerSchema>;
