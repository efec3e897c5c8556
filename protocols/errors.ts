/**
 * Base of every coded error in Atalaya. Each area (agent/modbus, agent/buffer, …) lists its own
 * stable codes in an `errors.ts`; callers and tests branch on `code`, never on `message`.
 */
export class AtalayaError<C extends string = string> extends Error {
  readonly code: C;
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(code: C, message: string, options: { cause?: unknown; details?: Record<string, unknown> } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AtalayaError';
    this.code = code;
    this.details = options.details;
  }
}

/** A config file (agent or relay) fails its schema; ConfigError (config-errors.ts) lists every problem with its path. */
export const CONFIG_INVALID = 'ATALAYA_CONFIG_INVALID';
/** A config file cannot be read or is not YAML. */
export const CONFIG_UNREADABLE = 'ATALAYA_CONFIG_UNREADABLE';

/**
 * A record breaks the record check (records-check.ts): the field in `details.path` (`unit`,
 * `alarm.rule`, …) and what the rule expects in `details.expected`.
 */
export const ATALAYA_RECORD_INVALID = 'ATALAYA_RECORD_INVALID';

export function isAtalayaError<C extends string>(err: unknown, code?: C): err is AtalayaError<C> {
  return err instanceof AtalayaError && (code === undefined || err.code === code);
}
