/**
 * Builds remote configuration and remote commands (issue 16 §2–3) on the relay's database and
 * registers their routes; returns their fleet channel parts for the composition root to register.
 */
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Clock } from '../../protocols/clock.ts';
import { gatewayAckOf } from '../alerts/ack-to-gateway.ts';
import type { Guard } from '../http/auth.ts';
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
  await registerConfigRoutes(app, { config, gateways, guard });
  await registerCommandsRoutes(app, { commands, gateways, guard });
  return { config, commands };
}

/** An alert acknowledged on the relay: the alarm.ack command to its gateway, audited as `alert-ack:<who>` (cloud/alerts/ack-to-gateway.ts). */
export async function ackOnGateway(commands: CommandsService, alert: Alert, by: string): Promise<void> {
  const ack = gatewayAckOf(alert, by);
  if (ack !== undefined) await commands.create(ack.gateway, 'alarm.ack', ack.args, `alert-ack:${by}`.slice(0, 200));
}
