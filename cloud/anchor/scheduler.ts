/**
 * When anchoring runs: the period cut on anchor.schedule (node-cron in anchor.timezone; default
 * 23:59 America/Santiago) and the engine's tick every anchor.pollMs. Neither overlaps itself.
 */

import type { ScheduledTask } from 'node-cron';
import cron from 'node-cron';
import type { Logger } from 'pino';

export interface AnchorSchedulerOptions {
  readonly schedule: string;
  readonly timezone: string;
  readonly pollMs: number;
  readonly cut: () => Promise<unknown>;
  readonly tick: () => Promise<unknown>;
  readonly logger: Logger;
}

export class AnchorScheduler {
  private task: ScheduledTask | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly log: Logger;

  constructor(private readonly o: AnchorSchedulerOptions) {
    this.log = o.logger.child({ component: 'anchor-scheduler' });
  }

  start(): void {
    if (this.task !== undefined) return;
    const log = this.log;
    this.task = cron.schedule(this.o.schedule, () => this.guard('cut', this.o.cut), {
      name: 'atalaya-anchor',
      timezone: this.o.timezone,
      noOverlap: true,
      logger: { info: (m) => log.debug(m), warn: (m) => log.warn(m), error: (m) => log.error(m), debug: (m) => log.debug(m) },
    });
    const loop = (): void => {
      this.timer = setTimeout(() => {
        void this.guard('tick', this.o.tick).finally(() => {
          if (this.timer !== undefined) loop();
        });
      }, this.o.pollMs);
    };
    loop();
    this.log.info(
      { schedule: this.o.schedule, timezone: this.o.timezone, next: this.task.getNextRun()?.toISOString(), pollMs: this.o.pollMs },
      'anchoring scheduled',
    );
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const task = this.task;
    this.task = undefined;
    if (task === undefined) return;
    await task.stop();
    await task.destroy();
  }

  private async guard(what: string, fn: () => Promise<unknown>): Promise<void> {
    try {
      await fn();
    } catch (err) {
      this.log.error({ err }, `anchoring ${what} failed`);
    }
  }
}
