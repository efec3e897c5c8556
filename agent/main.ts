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
import { readBootId } from './system/boot-id.ts';

export interface AgentDeps {
  readonly logger: Logger;
  readonly clock?: Clock;
  readonly bootId?: string;
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
  private started = false;
  private readonly onCommitted: (records: readonly StoredRecord[]) => void;

  constructor(readonly config: AgentConfig, deps: AgentDeps) {
    const clock = deps.clock ?? systemClock;
    const logger = deps.logger.child({ gateway: config.gateway.id });
    const bootId = deps.bootId ?? readBootId();
    const profiles = profileTable(config);
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
      logger,
    });
    this.alarms = new AlarmEngine({
      ...resolveAlarmRules(config.alarms, config.devices, profiles),
      sink: (records) => this.buffer.append(records),
      initial: () => this.buffer.alarmStates(),
      clock,
      bootId,
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
          flags: () => 0,
          clock,
          logger,
        })
      : undefined;
    // Features meet through the buffer: alarms are evaluated on what was committed.
    this.onCommitted = (records) => this.alarms.onRecords(records);
  }

  /** Buffer first (everything writes to it), then alarms, broker and poller; on a failure, what started is stopped. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    try {
      this.buffer.start();
      this.buffer.on('committed', this.onCommitted);
      this.alarms.start();
      await this.broker?.start();
      this.poller.start();
    } catch (err) {
      await this.stop();
      throw err;
    }
  }

  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    await this.poller.stop();
    await this.broker?.stop();
    await this.alarms.stop();
    this.buffer.off('committed', this.onCommitted);
    await this.buffer.stop();
  }
}
