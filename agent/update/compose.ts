import type { Logger } from 'pino';
import type { Clock } from '../../protocols/clock.ts';
import type { AgentConfig } from '../config/schema.ts';
import { readAgentVersion } from '../status/version.ts';
import { loadReleasePublicKey } from './key.ts';
import { Updater } from './updater.ts';

export interface UpdaterDeps {
  /** True once this start has stored a record or reached the relay. */
  readonly healthy: () => boolean;
  /** Stop and exit with RESTART_EXIT_CODE; undefined where nothing can restart the process (then a warning). */
  readonly restart: ((reason: string) => void) | undefined;
  readonly clock: Clock;
  readonly logger: Logger;
}

/**
 * The updater of agent/main.ts's composition root, when update.enabled: the release public key is
 * read here, so a missing or wrong key stops the start (ATALAYA_UPDATE_KEY_UNREADABLE).
 */
export function makeUpdater(config: AgentConfig, deps: UpdaterDeps): Updater {
  const { update, sync } = config;
  // The schema requires publicKey when update is enabled.
  const key = loadReleasePublicKey(update.publicKey ?? '');
  return new Updater({
    config: update,
    publicKeys: [key],
    version: readAgentVersion(),
    baseUrl: sync.url,
    healthy: deps.healthy,
    restart: (reason) => {
      if (deps.restart !== undefined) deps.restart(reason);
      else deps.logger.warn({ reason }, 'restart needed and no way to restart here');
    },
    clock: deps.clock,
    logger: deps.logger,
  });
}
