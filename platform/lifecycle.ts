import type { Logger } from 'pino';
import { type PlatformError, partStopFailed, partStopTimeout, stopFailed, stopping } from './errors.ts';

/**
 * A long-lived part of a process (a listener, a poller, the buffer). Its constructor only assigns;
 * start() opens what it needs; stop() releases it, is safe to call twice, and copes with a start()
 * that failed half-way (a part whose start() throws is stopped too, so it can release what it had
 * opened).
 */
export interface Part {
  /** For logs and errors: 'buffer', 'status', 'http listener'. */
  readonly name: string;
  start(): void | Promise<void>;
  stop(): void | Promise<void>;
}

/** Anything with start() and stop() (the agent's and relay's parts) as a named Part. */
export function namedPart(name: string, target: { start(): unknown; stop(): unknown }): Part {
  return {
    name,
    start: async () => {
      await target.start();
    },
    stop: async () => {
      await target.stop();
    },
  };
}

/**
 * How long one part's stop() may take before the next part is stopped anyway, ms. Small enough
 * that every part before the last one may hang and the last one (the buffer, the store) is still
 * reached before the service manager kills the process: the agent has six parts before its buffer
 * (6 × 5 s < TimeoutStopSec=60s of deploy/pi/atalaya-agent.service), the relay three before its
 * store (3 × 5 s < the 30 s stop_grace_period of deploy/cloud/compose.yaml).
 */
export const DEFAULT_STOP_DEADLINE_MS = 5_000;

export interface LifecycleOptions {
  readonly logger: Logger;
  /** Per part, ms (1 to 600 000; default 5 000). A part still stopping then is logged and left to finish on its own. */
  readonly stopDeadlineMs?: number;
}

/**
 * Starts parts in order and stops them in reverse, each stop in its own try/catch and under a
 * deadline, so a part that throws or hangs while stopping never keeps the parts started before it
 * (the buffer, the store: started first, stopped last) from stopping. Issue 12 §4.
 *
 * start(...parts) may be called several times (a composition root that registers routes between
 * two parts); stop() stops everything started so far. A start() that fails stops what started, in
 * reverse, and rethrows the start error. stop() is idempotent and concurrent calls share one run;
 * when some part failed it rejects with PLATFORM_STOP_FAILED once every part has been stopped.
 */
export class Lifecycle {
  private readonly started: Part[] = [];
  private stopping: Promise<PlatformError[]> | undefined;
  private readonly log: Logger;
  private readonly deadlineMs: number;

  constructor(options: LifecycleOptions) {
    this.log = options.logger.child({ component: 'lifecycle' });
    this.deadlineMs = options.stopDeadlineMs ?? DEFAULT_STOP_DEADLINE_MS;
  }

  /** Names of the parts started and not yet stopped, in start order. */
  get running(): readonly string[] {
    return this.started.map((p) => p.name);
  }

  async start(...parts: readonly Part[]): Promise<void> {
    for (const part of parts) {
      if (this.stopping !== undefined) throw stopping(part.name);
      this.started.push(part);
      try {
        await part.start();
      } catch (err) {
        this.log.error({ err, part: part.name }, 'part failed to start: stopping what started');
        await this.stopAll();
        throw err;
      }
    }
  }

  async stop(): Promise<void> {
    const failures = await this.stopAll();
    if (failures.length > 0) throw stopFailed(failures);
  }

  private stopAll(): Promise<PlatformError[]> {
    this.stopping ??= this.stopInReverse().finally(() => {
      this.stopping = undefined;
    });
    return this.stopping;
  }

  private async stopInReverse(): Promise<PlatformError[]> {
    const failures: PlatformError[] = [];
    for (let part = this.started.pop(); part !== undefined; part = this.started.pop()) {
      const failure = await this.stopOne(part);
      if (failure !== undefined) failures.push(failure);
    }
    return failures;
  }

  private async stopOne(part: Part): Promise<PlatformError | undefined> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), this.deadlineMs);
    });
    // A stop() that throws synchronously becomes a rejection here.
    const stopped = (async () => part.stop())();
    try {
      if ((await Promise.race([stopped.then(() => 'done' as const), late])) === 'done') return undefined;
      stopped.catch((err: unknown) => this.log.warn({ err, part: part.name }, 'part failed to stop after its deadline'));
      const failure = partStopTimeout(part.name, this.deadlineMs);
      this.log.error({ err: failure, part: part.name }, 'part did not stop in time: stopping the next one');
      return failure;
    } catch (err) {
      const failure = partStopFailed(part.name, err);
      this.log.error({ err: failure, part: part.name }, 'part failed to stop: stopping the next one');
      return failure;
    } finally {
      clearTimeout(timer);
    }
  }
}
