/**
 * The DGA part of the relay process, built by cloud/main.ts when `dga.enabled`: the clients, the
 * engine and the scheduler, started in that order and stopped in reverse, on the DGA store of the
 * relay's one database (cloud/store/database.ts), which main.ts opens and closes.
 */
import type { Logger } from 'pino';
import type { Clock } from '../../protocols/clock.ts';
import type { DgaStore } from '../store/dga-types.ts';
import type { RelayStore } from '../store/types.ts';
import type { DgaClients } from './clients.ts';
import { createDgaClients } from './clients.ts';
import type { DgaConfig } from './config.ts';
import { DgaEngine } from './engine.ts';
import { DgaScheduler } from './scheduler.ts';

export interface DgaReportingOptions {
  readonly config: DgaConfig;
  /** The DGA store of the relay's database, started; its owner stops it. */
  readonly queue: DgaStore;
  readonly records: RelayStore;
  readonly key: Buffer;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Tests and the CLI pass their own; default: REST and SOAP clients from the config. */
  readonly clients?: DgaClients;
  /** false: no cron schedule (the CLI's one-shot commands, tests that drive tick()). Default true. */
  readonly schedule?: boolean;
}

export class DgaReporting {
  private scheduler: DgaScheduler | undefined;
  private running: DgaEngine | undefined;

  constructor(private readonly options: DgaReportingOptions) {}

  get engine(): DgaEngine | undefined {
    return this.running;
  }

  async start(): Promise<DgaEngine> {
    if (this.running !== undefined) return this.running;
    const { config, queue, records, key, clock, logger } = this.options;
    try {
      const clients = this.options.clients ?? createDgaClients(config, logger);
      const engine = new DgaEngine({ config, records, queue, key, clients, clock, logger });
      await engine.start();
      this.running = engine;
      if (this.options.schedule !== false) {
        this.scheduler = new DgaScheduler(engine, config.schedule, logger);
        this.scheduler.start();
      }
      return engine;
    } catch (err) {
      await this.stop();
      throw err;
    }
  }

  /** Schedule, then the tick in flight and the clients. Idempotent. */
  async stop(): Promise<void> {
    const { scheduler, running } = this;
    this.scheduler = undefined;
    this.running = undefined;
    await scheduler?.stop();
    await running?.stop();
  }
}
