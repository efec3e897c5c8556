/**
 * Builds remote configuration and remote commands (issue 16 §2–3) on the relay's database and
 * registers their routes; returns their fleet channel parts for the composition root to register.
 */
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Clock } from '../../protocols/clock.ts';
import { ackOnGateway as ackThrough } from '../alerts/ack-to-gateway.ts';
import type { Guard } from '../http/auth.ts';
import type { Auditor } from '../identity/audit.ts';
import type { Alert } from '../store/alerts-types.ts';
import { SqlFleetCommandsStore } from '../store/fleet-commands-store.ts';
import { SqlFleetConfigStore } from '../store/fleet-config-store.ts';
import type { SqlExecutor } from '../store/sql-executor.ts';
import type { RelayStore } from '../store/types.ts';
import { registerCommandsRoutes } from './commands-routes.ts';
import { CommandsService } from './commands-service.ts';
import { registerConfigRoutes } from './config-routes.ts';
import { ConfigService } from './config-service.ts';

export interface FleetConfigComposeOptions {
  readonly executor: SqlExecutor;
  readonly gateways: Pick<RelayStore, 'getGateway'>;
  /** Authentication and the permission of each route (cloud/http/auth.ts). */
  readonly guard: Guard;
  /** Records every config set and command created (cloud/identity/audit.ts). */
  readonly auditor?: Auditor;
  readonly clock: Clock;
  readonly logger: Logger;
  /** fleet.commandMaxAgeMs, ms. */
  readonly commandMaxAgeMs?: number;
}

export async function registerFleetConfigAndCommands(
  app: FastifyInstance,
  options: FleetConfigComposeOptions,
): Promise<{ config: ConfigService; commands: CommandsService }> {
  const { executor, gateways, guard, clock, logger } = options;
  const config = new ConfigService({ store: new SqlFleetConfigStore(executor), clock, logger });
  const commands = new CommandsService({ store: new SqlFleetCommandsStore(executor), clock, logger, maxAgeMs: options.commandMaxAgeMs });
  await registerConfigRoutes(app, { config, gateways, guard, auditor: options.auditor });
  await registerCommandsRoutes(app, { commands, gateways, guard, auditor: options.auditor });
  return { config, commands };
}

/** An alert acknowledged on the relay: the alarm.ack command to its gateway, created as `alert-ack:<who>` and audited (cloud/alerts/ack-to-gateway.ts). */
export function ackOnGateway(commands: CommandsService, alert: Alert, by: string, auditor?: Auditor): Promise<void> {
  return ackThrough((gateway, args, actor) => commands.create(gateway, 'alarm.ack', args, actor), alert, by, auditor);
}
