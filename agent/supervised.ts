/**
 * The agent as the config supervisor runs it (agent/fleet/config-supervisor.ts, issue 16): an
 * Agent built on one config with the fleet parts of remote configuration and remote commands
 * registered, and what probation watches of it.
 */
import type { Logger } from 'pino';
import type { Clock } from '../protocols/clock.ts';
import type { RegisterTable } from '../protocols/modbus/types.ts';
import { droppingInvalid } from './buffer/checked-sink.ts';
import type { AgentConfig } from './config/schema.ts';
import { CommandsPart } from './fleet/commands-part.ts';
import { CommandsStore } from './fleet/commands-store.ts';
import type { SupervisedAgent, SupervisedPart } from './fleet/config-supervisor.ts';
import { Agent, type AgentDeps } from './main.ts';

export interface SupervisedDeps extends AgentDeps {
  readonly clock: Clock;
  /** A clean stop and exit with the code systemd restarts on (the agent.restart command). */
  readonly restart: (reason: string) => void;
}

export type RunningAgent = SupervisedAgent & { readonly agent: Agent };

/** The commands part of one agent; its store opens the buffer file after the buffer migrated it. */
export function commandsPartFor(config: AgentConfig, deps: SupervisedDeps, agent: () => Agent | undefined): { part: CommandsPart; store: CommandsStore } {
  const store = new CommandsStore(config.buffer.path);
  const part = new CommandsPart({
    store,
    maxAgeMs: config.fleet.commandMaxAgeMs,
    clock: deps.clock,
    logger: deps.logger,
    targets: {
      acknowledge: (device, channel, rule) => agent()?.alarms.acknowledge(device, channel, rule) !== undefined,
      readRegisters: (device, table, address, count) => {
        const a = agent();
        return a === undefined ? undefined : readRegisters(a, device, table, address, count);
      },
      pollDevice: (device) => {
        const a = agent();
        return a === undefined ? undefined : pollDeviceNow(a, device, deps.logger);
      },
      restart: (reason) => setImmediate(() => deps.restart(reason)),
      report: () => {
        setTimeout(() => void agent()?.fleet?.pollNow(), 10).unref();
      },
    },
  });
  return { part, store };
}

export function supervisedAgent(config: AgentConfig, parts: readonly SupervisedPart[], deps: SupervisedDeps): RunningAgent {
  let built: Agent | undefined;
  const commands = commandsPartFor(config, deps, () => built);
  const agent = new Agent(config, {
    ...deps,
    fleetParts: [...parts, commands.part],
    parts: [
      ...(deps.parts ?? []),
      {
        name: 'fleet commands',
        start: () => {
          const n = commands.store.markInterrupted(deps.clock.now());
          if (n > 0) deps.logger.warn({ commands: n }, 'commands interrupted by the last stop reported failed');
        },
        stop: () => commands.store.close(),
      },
    ],
  });
  built = agent;
  const relay = config.sync.enabled && config.sync.url !== undefined;
  return {
    agent,
    start: () => agent.start(),
    stop: () => agent.stop(),
    pollFleetNow: () => void agent.fleet?.pollNow(),
    signals: {
      devices: agent.poller.devices.length,
      lastDeviceOkAt: () => max(agent.poller.devices.map((d) => d.health.lastOkAt)),
      relay,
      lastRelayAt: () => max([agent.sync?.status().lastAckAt ?? null, agent.fleet?.status().lastAnswerAt ?? null]),
    },
  };
}

function max(values: ReadonlyArray<number | null>): number | null {
  let out: number | null = null;
  for (const v of values) if (v !== null && (out === null || v > out)) out = v;
  return out;
}

/** One register read over the device's own link, queued behind its polls (the inspector's, remotely); undefined for an unknown device. */
function readRegisters(agent: Agent, id: string, table: RegisterTable, address: number, count: number): Promise<number[]> | undefined {
  const device = agent.config.devices.find((d) => d.id === id);
  const link = agent.poller.linkOf(id);
  if (device === undefined || link === undefined) return undefined;
  return link.read(device.unitId, table, address, count);
}

/** Polls one Modbus device now, its records stored in the buffer like any poll's; undefined for a device this agent does not poll. */
function pollDeviceNow(agent: Agent, id: string, logger: Logger): Promise<{ records: number; good: number }> | undefined {
  const device = agent.poller.devices.find((d) => d.id === id);
  if (device === undefined) return undefined;
  const sink = droppingInvalid((records) => agent.buffer.append(records), logger);
  return device.pollOnce().then(async (records) => {
    await sink(records);
    return { records: records.length, good: records.filter((r) => r.quality === 'good').length };
  });
}
