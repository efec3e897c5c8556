/**
 * Prometheus metrics of the agent (issue 7), served at GET /metrics by the status server. One
 * Registry per agent, made here and never the global default one, so two agents in one process
 * (tests) do not mix their counts. Counters move as things happen (observePoll); everything else
 * is read from its part when scraped, so a metric can never drift from what the part reports.
 */
import { collectDefaultMetrics, Registry } from 'prom-client';
import { type Clock, systemClock } from '../../protocols/clock.ts';
import { registerBrokerGuardMetrics } from './broker.ts';
import { type BufferSources, registerBufferMetrics } from './buffer.ts';
import { type ModbusSources, type PollObserver, registerModbusMetrics } from './modbus.ts';
import { registerUplinkMetrics, type UplinkSources } from './uplinks.ts';

export interface AgentMetricsSources extends BufferSources, UplinkSources, ModbusSources {
  /** For the ages (oldest record, last acknowledgement); default the system clock. */
  readonly clock?: Clock;
}

export interface AgentMetrics {
  readonly registry: Registry;
  /** Called once per poll of a device (DevicePollerOptions.onPoll). */
  readonly observePoll: PollObserver;
}

export type { PollObserver } from './modbus.ts';

export function createAgentMetrics(sources: AgentMetricsSources): AgentMetrics {
  const registry = new Registry();
  const clock = sources.clock ?? systemClock;
  // process_* and nodejs_* (CPU, memory, event loop lag, GC): the same names every Node exporter uses.
  collectDefaultMetrics({ register: registry });
  const observePoll = registerModbusMetrics(registry, sources);
  registerBufferMetrics(registry, sources, clock);
  registerUplinkMetrics(registry, sources, clock);
  registerBrokerGuardMetrics(registry, sources.broker);
  return { registry, observePoll };
}
