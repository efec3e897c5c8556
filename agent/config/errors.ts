import { AtalayaError } from '../../protocols/errors.ts';

export const CONFIG_INVALID = 'ATALAYA_CONFIG_INVALID';
export const CONFIG_UNREADABLE = 'ATALAYA_CONFIG_UNREADABLE';

export interface ConfigProblem {
  /** e.g. `devices[2].tcp.port` */
  readonly path: string;
  readonly message: string;
}

/** Every problem of a config file at once, each with its path. */
export class ConfigError extends AtalayaError<typeof CONFIG_INVALID | typeof CONFIG_UNREADABLE> {
  readonly problems: readonly ConfigProblem[];

  constructor(code: typeof CONFIG_INVALID | typeof CONFIG_UNREADABLE, source: string, problems: readonly ConfigProblem[], cause?: unknown) {
    const lines = problems.map((p) => `  ${p.path || '(root)'}: ${p.message}`).join('\n');
    super(code, `${source}: ${problems.length} problem${problems.length === 1 ? '' : 's'}\n${lines}`, { cause, details: { source } });
    this.name = 'ConfigError';
    this.problems = problems;
  }
}
