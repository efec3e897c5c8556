import type { Logger } from 'pino';
import type { StoredRecord } from '../protocols/records.ts';
import { systemClock, type Clock } from '../protocols/clock.ts';
import { AlarmEngine } from './alarms/engine.ts';
import { resolveAlarmRules } from './alarms/resolve.ts';
import { MqttBroker } from './broker/broker.ts';
import { RecordBuffer } from './buffer/buffer.ts';
import { profileTable } from './config/profiles.ts';
import type { AgentConfig } from './config/schema.ts';
import { Poller } from './modbus/poller.ts';
import { SyncClient } from './sync/client.ts';
import { ClockWatch } from './sync/clock.ts';
import { loadGatewaySecret } from './sync/secret.ts';
import { readBootId } from './system/boot-id.ts';

export interface AgentDeps {
  readonly logger: Logger;
  readonly clock?: Clock;
  readonly bootId?: string;
  /** Where the gateway secret is looked up when sync is on (ATALAYA_GATEWAY_SECRET); default process.env. */
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * Composition root of the agent process: builds every part from the config and wires them
 * through the buffer. Parts start in dependency order and stop in reverse.
 */
export class Agent {
  readonly buffer: RecordBuffer;
  readonly poller: Poller;
  readonly alarms: AlarmEngine;
  /** Undefined when mqtt.enabled is false. */
  readonly broker: MqttBroker | undefined;
  readonly clockWatch: ClockWatch;
  /** Made at start() (it needs the gateway secret); undefined when sync is off. */
  sync: SyncClient | undefined;
  private readonly deps: AgentDeps;
  private readonly clock: Clock;
  private readonly bootId: string;
  private readonly logger: Logger;
  private started = false;
  private readonly onCommitted: (records: readonly StoredRecord[]) => void;

  constructor(readonly config: AgentConfig, deps: AgentDeps) {
    const clock = deps.clock ?? systemClock;
    const logger = deps.logger.child({ gateway: config.gateway.id });
    const bootId = deps.bootId ?? readBootId();
    const profiles = profileTable(config);
    this.deps = deps;
    this.clock = clock;
    this.bootId = bootId;
    this.logger = logger;
    this.clockWatch = new ClockWatch({ clock, logger, config: config.sync.clock });
    const flags = (): number => this.clockWatch.flags();
    this.buffer = new RecordBuffer({
      path: config.buffer.path,
      durability: config.buffer.durability,
      commitIntervalMs: config.buffer.commitIntervalMs,
      maxBatch: 5000,
      maxBytes: config.buffer.maxBytes,
      maxAgeMs: config.buffer.maxAgeDays * 86_400_000,
      clock,
      logger,
    });
    this.poller = new Poller({
      config,
      profiles,
      sink: (records) => this.buffer.append(records),
      clock,
      bootId,
      flags,
      logger,
    });
    this.alarms = new AlarmEngine({
      ...resolveAlarmRules(config.alarms, config.devices, profiles),
      sink: (records) => this.buffer.append(records),
      initial: () => this.buffer.alarmStates(),
      clock,
      bootId,
      flags,
      logger,
    });
    this.broker = config.mqtt.enabled
      ? new MqttBroker({
          config: config.mqtt,
          gatewayId: config.gateway.id,
          sink: (records) => this.buffer.append(records),
          onCommitted: (listener) => {
            this.buffer.on('committed', listener);
            return () => this.buffer.off('committed', listener);
          },
          bootId,
          flags,
          clock,
          logger,
        })
      : undefined;
    // Features meet through the buffer: alarms are evaluated on what was committed.
    this.onCommitted = (records) => this.alarms.onRecords(records);
  }

  /** Buffer first (everything writes to it), then alarms, broker, poller and sync; on a failure, what started is stopped. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    try {
      // First: a missing gateway secret must stop the start before anything runs.
      this.sync = this.makeSync();
      this.clockWatch.start();
      this.buffer.start();
      this.buffer.on('committed', this.onCommitted);
      this.alarms.start();
      await this.broker?.start();
      this.poller.start();
      this.sync?.start();
    } catch (err) {
      await this.stop();
      throw err;
    }
  }

  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    await this.sync?.stop();
    await this.poller.stop();
    await this.broker?.stop();
    await this.alarms.stop();
    this.buffer.off('committed', this.onCommitted);
    await this.buffer.stop();
    this.clockWatch.stop();
  }

  private makeSync(): SyncClient | undefined {
    const { sync, gateway } = this.config;
    if (!sync.enabled || sync.url === undefined) return undefined;
    return new SyncClient({
      config: { ...sync, url: sync.url },
      gatewayId: gateway.id,
      secret: loadGatewaySecret(sync, this.deps.env),
      buffer: this.buffer,
      clock: this.clock,
      bootId: this.bootId,
      clockSynced: () => this.clockWatch.synced(),
      logger: this.logger,
    });
  }
}
