/**
 * The agent's `commands` part of the fleet channel (issue 16 §3). Each command the relay sends is
 * claimed in the buffer file before it runs (commands-store.ts), so an id runs at most once
 * whatever is replayed or resent; a command older than `maxAgeMs` by the relay's own clock (the
 * answer carries it: no clock skew to allow for) or past its expiry is refused; outcomes are
 * reported on every poll until the relay confirms it stored them.
 */
import type { Logger } from 'pino';
import type { Clock } from '../../protocols/clock.ts';
import { isAtalayaError } from '../../protocols/errors.ts';
import { type Command, type CommandsReport, commandArgsSchemas, commandsAnswerSchema } from '../../protocols/fleet/commands-wire.ts';
import type { CommandsStore } from './commands-store.ts';

/** What commands act on: the running agent's parts, and the supervisor for a restart. */
export interface CommandTargets {
  /** The status page's path: the alarm engine's acknowledge; false when there is nothing to acknowledge. */
  acknowledge(device: string, channel: string, rule: string): boolean;
  /** One read over the device's own link (the inspector's); undefined for a device that has no registers here. */
  readRegisters(device: string, table: 'coil' | 'discrete' | 'holding' | 'input', address: number, count: number): Promise<number[]> | undefined;
  /** Polls the device once now, its records stored like any poll's; undefined for an unknown device. */
  pollDevice(device: string): Promise<{ records: number; good: number }> | undefined;
  /** A clean stop and an exit with the code systemd restarts on; after this poll. */
  restart(reason: string): void;
  /** Sends the outcomes soon (a fleet poll), after this one. */
  report(): void;
}

export interface CommandsPartOptions {
  readonly store: CommandsStore;
  readonly targets: CommandTargets;
  /** Oldest command run, by the relay's clock, ms (fleet.commandMaxAgeMs). */
  readonly maxAgeMs: number;
  readonly clock: Clock;
  readonly logger: Logger;
}

type Result = { status: 'ok'; result: unknown } | { status: 'refused' | 'failed'; reason: string };

export class CommandsPart {
  readonly name = 'commands';
  private readonly log: Logger;

  constructor(private readonly o: CommandsPartOptions) {
    this.log = o.logger.child({ component: 'fleet-commands' });
  }

  report(): CommandsReport | undefined {
    const outcomes = this.o.store.unconfirmed();
    return outcomes.length === 0 ? undefined : { outcomes };
  }

  async apply(answer: unknown): Promise<void> {
    const parsed = commandsAnswerSchema.safeParse(answer);
    if (!parsed.success) {
      this.log.warn('malformed commands answer ignored');
      return;
    }
    const { now: relayNow, commands, confirmed } = parsed.data;
    const { store, clock } = this.o;
    if (confirmed.length > 0) store.confirm(confirmed, clock.now());
    let ran = 0;
    for (const c of commands) {
      if (!store.claim(c.id, c.kind, clock.now())) continue; // seen before: at most once
      ran++;
      const result = await this.run(c, relayNow);
      store.finish(c.id, result.status, result.status === 'ok' ? { result: result.result } : { reason: result.reason }, clock.now());
      this.log.info({ command: c.id, kind: c.kind, status: result.status, ...(result.status === 'ok' ? {} : { reason: result.reason }) }, 'command');
      if (result.status === 'ok' && c.kind === 'agent.restart') {
        // Its outcome is on disk first; the relay hears it on the first poll after the restart.
        this.o.targets.restart(`command ${c.id}`);
        return;
      }
    }
    if (ran > 0) this.o.targets.report();
  }

  private async run(c: Command, relayNow: number): Promise<Result> {
    if (relayNow - c.issuedAt > this.o.maxAgeMs || relayNow >= c.expiresAt)
      return {
        status: 'refused',
        reason: `expired: issued ${Math.round((relayNow - c.issuedAt) / 1000)} s ago (most ${Math.round(this.o.maxAgeMs / 1000)} s)`,
      };
    const t = this.o.targets;
    try {
      switch (c.kind) {
        case 'alarm.ack': {
          const a = commandArgsSchemas['alarm.ack'].safeParse(c.args);
          if (!a.success) return { status: 'refused', reason: 'invalid arguments' };
          return t.acknowledge(a.data.device, a.data.channel, a.data.rule)
            ? { status: 'ok', result: { acknowledged: true } }
            : { status: 'refused', reason: `no active unacknowledged alarm ${a.data.rule} on ${a.data.device}/${a.data.channel}` };
        }
        case 'modbus.read': {
          const a = commandArgsSchemas['modbus.read'].safeParse(c.args);
          if (!a.success) return { status: 'refused', reason: 'invalid arguments' };
          const read = t.readRegisters(a.data.device, a.data.table, a.data.address, a.data.count);
          if (read === undefined) return { status: 'refused', reason: `no Modbus device ${a.data.device}` };
          return { status: 'ok', result: { ...a.data, registers: await read } };
        }
        case 'device.poll': {
          const a = commandArgsSchemas['device.poll'].safeParse(c.args);
          if (!a.success) return { status: 'refused', reason: 'invalid arguments' };
          const poll = t.pollDevice(a.data.device);
          if (poll === undefined) return { status: 'refused', reason: `no Modbus device ${a.data.device}` };
          return { status: 'ok', result: await poll };
        }
        case 'agent.restart':
          return { status: 'ok', result: { restarting: true } };
        default: {
          const never: never = c.kind;
          return { status: 'refused', reason: `unknown kind ${String(never)}` };
        }
      }
    } catch (err) {
      // Claimed already: a failure is reported, never retried.
      this.log.warn({ err, command: c.id }, 'command failed');
      return { status: 'failed', reason: isAtalayaError(err) ? err.code : 'error' };
    }
  }
}
