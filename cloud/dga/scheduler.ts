/**
 * Runs DgaEngine.tick on a node-cron schedule (dga.schedule, default every minute). A tick that
 * outlasts the interval is not overlapped (noOverlap, and the engine refuses a second tick).
 */

import type { ScheduledTask } from 'node-cron';
import cron from 'node-cron';
import type { Logger } from 'pino';
import type { DgaEngine } from './engine.ts';

export class DgaScheduler {
  private task: ScheduledTask | undefined;
  private readonly log: Logger;

  constructor(
    private readonly engine: DgaEngine,
    private readonly schedule: string,
    logger: Logger,
  ) {
    this.log = logger.child({ component: 'dga-scheduler' });
  }

  start(): void {
    if (this.task !== undefined) return;
    const log = this.log;
    this.task = cron.schedule(this.schedule, () => this.run(), {
      name: 'atalaya-dga',
      noOverlap: true,
      logger: { info: (m) => log.debug(m), warn: (m) => log.warn(m), error: (m) => log.error(m), debug: (m) => log.debug(m) },
    });
    this.log.info({ schedule: this.schedule, next: this.task.getNextRun()?.toISOString() }, 'DGA scheduler started');
  }

  /** Stops the schedule; a tick in flight is awaited by DgaEngine.stop(). Idempotent. */
  async stop(): Promise<void> {
    const task = this.task;
    this.task = undefined;
    if (task === undefined) return;
    await task.stop();
    await task.destroy();
  }

  private async run(): Promise<void> {
    try {
      const report = await this.engine.tick();
      if (report.ran) this.log.debug({ obras: report.obras.length, interrupted: report.interrupted }, 'DGA tick');
    } catch (err) {
      this.log.error({ err }, 'DGA tick failed');
    }
  }
}
