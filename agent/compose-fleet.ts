/**
 * The fleet channel's client (issue 16 §1), built for agent/main.ts (the composition root) when
 * fleet and sync are on: it rides on sync's relay URL, secret and HTTP client, reports health from
 * the agent's parts (read through the getters below at each report, so a part built later is seen)
 * and carries the fleet parts (remote config, commands, update). Its modules are imported only
 * when it is built, so a gateway without it does not keep them in memory (issue 18).
 */
import path from 'node:path';
import type { Logger } from 'pino';
import type { Dispatcher } from 'undici';
import type { Clock } from '../protocols/clock.ts';
import type { MqttBroker } from './broker/broker.ts';
import type { RecordBuffer } from './buffer/buffer.ts';
import type { AgentConfig } from './config/schema.ts';
import type { FleetClient } from './fleet/client.ts';
import type { FleetPart } from './fleet/part.ts';
import type { Poller } from './modbus/poller.ts';
import type { SyncClient } from './sync/client.ts';
import type { ClockWatch } from './sync/clock.ts';
import { loadGatewaySecret } from './sync/secret.ts';

export interface FleetClientInputs {
  readonly env: NodeJS.ProcessEnv | undefined;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly bootId: string;
  readonly buffer: RecordBuffer;
  readonly poller: Poller;
  readonly clockWatch: ClockWatch;
  readonly sync: () => SyncClient | undefined;
  readonly broker: () => MqttBroker | undefined;
  readonly configVersion: () => string | null;
  /** The parts registered on the channel, in order. */
  readonly parts: readonly FleetPart[];
  readonly dispatcher: Dispatcher | undefined;
}

/** Undefined when the channel is off (fleet.enabled false, or sync off: it needs sync's relay and secret). */
export async function makeFleetClient(config: AgentConfig, o: FleetClientInputs): Promise<FleetClient | undefined> {
  const { sync, fleet, gateway, buffer } = config;
  if (!(fleet.enabled ?? sync.enabled) || !sync.enabled || sync.url === undefined) return undefined;
  // Sync read it a moment ago (and warned about its file mode then).
  const secret = loadGatewaySecret(sync, o.env);
  const [{ FleetClient }, { buildHealthReport, healthChangeKey }, { SystemProbe }, { readAgentVersion }] = await Promise.all([
    import('./fleet/client.ts'),
    import('./fleet/health.ts'),
    import('./status/system.ts'),
    import('./status/version.ts'),
  ]);
  const system = new SystemProbe({ diskPath: path.dirname(path.resolve(buffer.path)) });
  const version = readAgentVersion();
  const { clock } = o;
  const startedMono = clock.monotonic();
  const client = new FleetClient({
    url: sync.url,
    gatewayId: gateway.id,
    secret,
    intervalMs: fleet.intervalMs,
    healthIntervalMs: fleet.healthIntervalMs,
    healthKey: healthChangeKey,
    timeoutMs: fleet.timeoutMs,
    clock,
    logger: o.logger,
    skewMs: () => o.sync()?.clockOffsetMs ?? 0,
    ...(o.dispatcher === undefined ? {} : { dispatcher: o.dispatcher }),
    health: () =>
      buildHealthReport({
        version,
        bootId: o.bootId,
        uptimeS: () => (clock.monotonic() - startedMono) / 1000,
        clockSynced: () => o.clockWatch.synced(),
        clockOffsetMs: () => o.sync()?.clockOffsetMs ?? 0,
        buffer: () => o.buffer.stats(),
        devices: () => o.poller.devices,
        brokerClients: () => o.broker()?.stats().clients ?? null,
        system: () => system.read(),
        configVersion: o.configVersion,
      }),
  });
  for (const part of o.parts) client.register(part);
  return client;
}
