/**
 * `atalaya relay alerts [list|ack]` and `atalaya relay notify test <channel|group>` on the relay's
 * database (cloud/alerts): works whether or not the relay runs; a test message is queued in the
 * outbox and sent by the running relay (its delivery shows in `alerts` and the API).
 */

import { isAlertsError } from '../cloud/alerts/errors.ts';
import { AlertService } from '../cloud/alerts/service.ts';
import type { RelayConfig } from '../cloud/config/schema.ts';
import { CommandsService } from '../cloud/fleet/commands-service.ts';
import { ackOnGateway } from '../cloud/fleet/config-compose.ts';
import { loadRelayKey } from '../cloud/secrets.ts';
import { SqlFleetCommandsStore } from '../cloud/store/fleet-commands-store.ts';
import { systemClock } from '../protocols/clock.ts';
import { rootLogger } from './logger.ts';
import { withRelayDatabase } from './relay-database.ts';

export const ALERTS_HELP = `atalaya relay alerts [list] [--state open|closed|all] [--json]   alerts with their deliveries
atalaya relay alerts ack <id> [--by NAME]                          acknowledge: stops escalation and reminders
atalaya relay notify test <email|webhook|sms|GROUP>                queue a test message to every address of a channel kind or a group
`;

export interface AlertsCommandInput {
  readonly command: 'alerts' | 'notify';
  readonly sub: string | undefined;
  readonly args: readonly string[];
  readonly state: string | undefined;
  readonly by: string | undefined;
  readonly json: boolean;
}

export async function alertsCommand(input: AlertsCommandInput, config: RelayConfig): Promise<number> {
  const logger = rootLogger('warn', 2);
  const key = loadRelayKey(config.keyFile, process.env).key;
  return withRelayDatabase(
    config.storage,
    async (db) => {
      const service = new AlertService({
        config: config.alerts,
        store: db.alerts,
        records: db.records,
        executor: db.executor,
        channels: new Map(),
        relayKey: key,
        clock: systemClock,
        logger,
        schedule: false,
        instance: 'cli',
        // An ack here reaches the gateway too: the relay delivers the command on its next fleet poll.
        onAcked: (alert, by) =>
          ackOnGateway(
            new CommandsService({ store: new SqlFleetCommandsStore(db.executor), clock: systemClock, logger, maxAgeMs: config.fleet.commandMaxAgeMs }),
            alert,
            by,
          ),
      });
      if (input.command === 'notify') {
        const target = input.args[0];
        if (input.sub !== 'test' || target === undefined) {
          process.stderr.write(ALERTS_HELP);
          return 2;
        }
        try {
          const keys = await service.test(target);
          process.stdout.write(`${keys.length} test message(s) queued: ${keys.join(' ')}\n`);
          return keys.length > 0 ? 0 : 1;
        } catch (err) {
          if (!isAlertsError(err)) throw err;
          process.stderr.write(`atalaya relay notify test: ${err.message}\n`);
          return 2;
        }
      }
      if (input.sub === 'ack') {
        const id = input.args[0];
        if (id === undefined) {
          process.stderr.write(ALERTS_HELP);
          return 2;
        }
        const result = await service.ack(id, input.by === undefined ? 'cli' : `cli:${input.by}`);
        process.stdout.write(`${id}: ${result}\n`);
        return result === 'unknown' ? 1 : 0;
      }
      if (input.sub !== undefined && input.sub !== 'list') {
        process.stderr.write(ALERTS_HELP);
        return 2;
      }
      const state = input.state ?? 'open';
      if (state !== 'open' && state !== 'closed' && state !== 'all') {
        process.stderr.write('--state: open, closed or all\n');
        return 2;
      }
      const alerts = await service.list(state === 'all' ? undefined : state, 1000);
      if (input.json) process.stdout.write(`${JSON.stringify(alerts, null, 2)}\n`);
      else
        for (const a of alerts) {
          const d = Object.entries(a.deliveries)
            .map(([k, v]) => `${k}=${v}`)
            .join(',');
          process.stdout.write(
            `${new Date(a.openedAt).toISOString()}  ${a.state.padEnd(6)} ${a.severity.padEnd(7)} ${a.id}  ${a.ackedBy === null ? '-' : `acked:${a.ackedBy}`}  ${d}\n  ${a.title}\n`,
          );
        }
      return 0;
    },
    logger,
  );
}
