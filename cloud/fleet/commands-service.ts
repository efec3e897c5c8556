/**
 * Remote commands to gateways (issue 16 §3): created with an id, the operator who issued it and an
 * expiry (fleet.commandMaxAgeMs); delivered in every answer of the fleet channel's `commands` part
 * until the gateway reports an outcome (the gateway runs each id at most once, so repeating is
 * safe); outcomes stored once and confirmed back so the gateway stops reporting them.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { Clock } from '../../protocols/clock.ts';
import { problemsFromZod } from '../../protocols/config-errors.ts';
import { type CommandKind, type CommandsAnswer, commandArgsSchemas, commandsReportSchema } from '../../protocols/fleet/commands-wire.ts';
import { invalidQuery } from '../http/errors.ts';
import type { FleetCommand, SqlFleetCommandsStore } from '../store/fleet-commands-store.ts';

/** Default age after which a command not yet run is refused by the gateway and shown expired, ms (10 min). */
export const DEFAULT_COMMAND_MAX_AGE_MS = 600_000;

export interface CommandsServiceOptions {
  readonly store: SqlFleetCommandsStore;
  readonly clock: Clock;
  readonly logger: Logger;
  /** fleet.commandMaxAgeMs: how long a command may wait for its gateway, ms. */
  readonly maxAgeMs?: number;
}

export type CommandView = FleetCommand & { readonly state: 'pending' | 'expired' | 'ok' | 'refused' | 'failed' };

export class CommandsService {
  readonly name = 'commands';
  private readonly logger: Logger;
  /** Outcome ids stored by this poll's onReport, confirmed in its answer (per gateway). */
  private readonly confirm = new Map<string, string[]>();

  constructor(private readonly options: CommandsServiceOptions) {
    this.logger = options.logger.child({ component: 'fleet-commands' });
  }

  /** Throws ApiError invalid_query (400, path-level problems) for unknown arguments. */
  async create(gatewayId: string, kind: CommandKind, args: unknown, actor: string): Promise<FleetCommand> {
    const schema = commandArgsSchemas[kind];
    const parsed = schema.safeParse(args ?? {});
    if (!parsed.success)
      throw invalidQuery(problemsFromZod(schema, parsed.error.issues).map((p) => ({ ...p, path: p.path === '' ? 'args' : `args.${p.path}` })));
    const now = this.options.clock.now();
    const command = await this.options.store.insert({
      id: randomBytes(12).toString('base64url'),
      gateway: gatewayId,
      kind,
      args: parsed.data as Record<string, unknown>,
      createdBy: actor,
      createdAt: now,
      expiresAt: now + (this.options.maxAgeMs ?? DEFAULT_COMMAND_MAX_AGE_MS),
    });
    this.logger.info({ gateway: gatewayId, command: command.id, kind, actor }, 'command issued');
    return command;
  }

  async list(gatewayId: string, limit?: number): Promise<CommandView[]> {
    const now = this.options.clock.now();
    return (await this.options.store.list(gatewayId, limit)).map((c) => ({
      ...c,
      state: c.outcomeStatus ?? (c.expiresAt <= now ? 'expired' : 'pending'),
    }));
  }

  /** FleetRelayPart: outcomes the gateway reports. */
  async onReport(gatewayId: string, report: unknown, _now: number): Promise<void> {
    const parsed = commandsReportSchema.safeParse(report);
    if (!parsed.success) {
      this.logger.warn({ gateway: gatewayId }, 'malformed commands report ignored');
      return;
    }
    const confirmed: string[] = [];
    for (const o of parsed.data.outcomes) {
      const body = o.status === 'ok' ? { result: o.result ?? null } : { reason: o.reason ?? '' };
      if (await this.options.store.outcome(gatewayId, o.id, o.status, body, o.at))
        this.logger.info({ gateway: gatewayId, command: o.id, status: o.status }, 'command outcome');
      // Confirmed even when already stored: the gateway may not have seen the previous answer.
      confirmed.push(o.id);
    }
    if (confirmed.length > 0) this.confirm.set(gatewayId, confirmed);
  }

  /** FleetRelayPart: the commands still waiting for an outcome and the outcomes just stored. */
  async answer(gatewayId: string, now: number): Promise<CommandsAnswer | undefined> {
    const confirmed = this.confirm.get(gatewayId) ?? [];
    this.confirm.delete(gatewayId);
    const pending = await this.options.store.pending(gatewayId, now);
    const commands = pending
      .filter((c) => !confirmed.includes(c.id))
      .map((c) => ({ id: c.id, kind: c.kind, args: c.args, issuedAt: c.createdAt, expiresAt: c.expiresAt }));
    if (commands.length === 0 && confirmed.length === 0) return undefined;
    return { now, commands, confirmed };
  }
}
