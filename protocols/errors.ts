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

export function isAtalayaError<C extends string>(err: unknown, code?: C): err is AtalayaError<C> {
  return err instanceof AtalayaError && (code === undefined || err.code === code);
}
