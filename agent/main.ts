import type { Logger } from 'pino';
import { systemClock, type Clock } from '../protocols/clock.ts';
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
  private started = false;

  constructor(readonly config: AgentConfig, deps: AgentDeps) {
    const clock = deps.clock ?? systemClock;
    const logger = deps.logger.child({ gateway: config.gateway.id });
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
      profiles: profileTable(config),
      sink: (records) => this.buffer.append(records),
      clock,
      bootId: deps.bootId ?? readBootId(),
      logger,
    });
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    this.buffer.start();
    this.poller.start();
  }

  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    await this.poller.stop();
    await this.buffer.stop();
  }
}
