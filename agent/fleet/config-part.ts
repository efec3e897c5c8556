/**
 * The agent's `config` part of the fleet channel (issue 16 §2): reports which desired version it
 * runs and what became of the last one sent; given a new version, checks its sha256, validates it
 * with the same code as the local file (protocols/agent-config) and the relative paths resolved the
 * same way, installs it on probation (config-files.ts) and asks for a reload. A config that fails
 * validation is reported `refused` with its path-level problems and never installed.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import type { Logger } from 'pino';
import { parseConfigText } from '../../protocols/agent-config/parse.ts';
import type { Clock } from '../../protocols/clock.ts';
import { ConfigError } from '../../protocols/config-errors.ts';
import { type ConfigReport, configAnswerSchema } from '../../protocols/fleet/config-wire.ts';
import type { RemoteConfigFiles } from './config-files.ts';

export interface ConfigPartOptions {
  readonly files: RemoteConfigFiles;
  readonly gatewayId: string;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Called once the new config is installed: the supervisor rebuilds the agent on it (after this poll). */
  readonly reload: (why: string) => void;
}

/** Longest reason sent to the relay, characters (the wire's bound). */
const MAX_REASON = 2000;

export class ConfigPart {
  readonly name = 'config';
  private readonly log: Logger;

  constructor(private readonly o: ConfigPartOptions) {
    this.log = o.logger.child({ component: 'fleet-config' });
  }

  report(): ConfigReport {
    const { applied, version, state, reason } = this.o.files.state();
    return { applied, version, state, reason: reason === null ? null : reason.slice(0, MAX_REASON) };
  }

  async apply(answer: unknown): Promise<void> {
    const parsed = configAnswerSchema.safeParse(answer);
    if (!parsed.success) {
      this.log.warn('malformed config answer ignored');
      return;
    }
    const { version, yaml, sha256 } = parsed.data;
    const { files } = this.o;
    const current = files.state();
    if (current.version === version) return; // already tried: each version at most once
    if (createHash('sha256').update(yaml, 'utf8').digest('hex') !== sha256) {
      files.refuse(version, 'sha256 does not match the config received');
      return;
    }
    try {
      parseConfigText(yaml, `remote config v${version}`, this.o.gatewayId);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      const reason = err.problems.map((p) => `${p.path || '(root)'}: ${p.message}`).join('; ');
      this.log.warn({ version, problems: err.problems }, 'remote config refused');
      files.refuse(version, reason.slice(0, MAX_REASON));
      return;
    }
    files.install(version, sha256, yaml, this.o.clock.now());
    this.log.info({ version, sha256, file: path.basename(files.remote) }, 'remote config installed, on probation');
    this.o.reload(`remote config v${version}`);
  }
}
