import { statSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import type { Clock } from '../../protocols/clock.ts';
import { RECORD_FLAGS } from '../../protocols/records.ts';
import type { ClockWatchConfig } from './schema.ts';

/** A wall clock before this year has certainly not been set (a Pi without RTC boots in 1970 or at its last shutdown). */
export const MIN_TRUSTED_YEAR = 2024;
/** File timestamps come from the kernel's coarse clock, up to a tick behind the time it was read. */
const COARSE_CLOCK_MS = 50;

export interface ClockWatchOptions {
  readonly clock: Clock;
  readonly logger: Logger;
  readonly config: ClockWatchConfig;
}

type Reason = 'synchronized' | 'stable' | 'waiting_for_timesync' | 'jump' | 'year';

/**
 * Whether the wall clock can be trusted for record timestamps (agent/sync/README.md, "Clock"):
 * with systemd-timesyncd (its flag file's directory exists), when the flag file exists and was
 * touched since the last jump; without it, when the year is at least MIN_TRUSTED_YEAR and no jump
 * was seen in the last settleMs. A jump is wall time moving more than jumpThresholdMs apart from
 * monotonic time between two looks. Untrusted readings carry RECORD_FLAGS.clockUnsynced and the
 * relay places them from (bootId, mono) instead.
 */
export class ClockWatch {
  private readonly o: ClockWatchOptions;
  private readonly log: Logger;
  private timer: NodeJS.Timeout | undefined;
  private last: { readonly wall: number; readonly mono: number } | undefined;
  /** The unconfirmed jump: wall time (new timeline) of the look before it, and monotonic time when seen. */
  private jump: { readonly since: number; readonly mono: number } | undefined;
  private trusted = false;
  private reason: Reason | undefined;

  constructor(options: ClockWatchOptions) {
    this.o = options;
    this.log = options.logger.child({ component: 'clock' });
  }

  start(): void {
    if (this.timer !== undefined) return;
    this.check();
    this.timer = setInterval(() => this.check(), this.o.config.checkIntervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Cheap enough per reading: a jump is noticed here at once; the flag file is only read by check(). False before start(). */
  synced(): boolean {
    if (this.timer !== undefined) this.look();
    return this.trusted;
  }

  /** RECORD_FLAGS bits for a reading taken now. */
  flags(): number {
    return this.synced() ? 0 : RECORD_FLAGS.clockUnsynced;
  }

  /** The periodic evaluation (every checkIntervalMs once started); public so tests can drive it. */
  check(): void {
    this.look();
    const { syncFlagFile, settleMs } = this.o.config;
    const timesyncd = exists(path.dirname(syncFlagFile));
    const touched = timesyncd ? mtimeMs(syncFlagFile) : undefined;
    // Read after the stat, so a touch that happened before it is not in our future.
    const wall = this.o.clock.now();
    const mono = this.o.clock.monotonic();
    let reason: Reason;
    if (new Date(wall).getUTCFullYear() < MIN_TRUSTED_YEAR) reason = 'year';
    else if (timesyncd) {
      // timesyncd touches the file after stepping the clock, so a touch in [look before the jump, now]
      // confirms the jump was the synchronization; an mtime in our future was stamped before a backward jump.
      const confirmed = touched !== undefined && touched <= wall + COARSE_CLOCK_MS && (this.jump === undefined || touched >= this.jump.since - COARSE_CLOCK_MS);
      reason = confirmed ? 'synchronized' : touched === undefined ? 'waiting_for_timesync' : 'jump';
    } else reason = this.jump === undefined || mono - this.jump.mono >= settleMs ? 'stable' : 'jump';
    if (reason === 'synchronized' || reason === 'stable') this.jump = undefined;
    this.set(reason === 'synchronized' || reason === 'stable', reason);
  }

  /** Compares wall and monotonic progress since the previous look. */
  private look(): void {
    const wall = this.o.clock.now();
    const mono = this.o.clock.monotonic();
    const last = this.last;
    this.last = { wall, mono };
    if (last === undefined) return;
    const elapsed = mono - last.mono;
    const jumpMs = wall - last.wall - elapsed;
    if (Math.abs(jumpMs) <= this.o.config.jumpThresholdMs) return;
    this.jump = { since: wall - elapsed, mono };
    this.log.warn({ jumpMs }, 'wall clock jumped');
    this.set(false, 'jump');
  }

  private set(trusted: boolean, reason: Reason): void {
    if (trusted !== this.trusted || (!trusted && reason !== this.reason)) {
      if (trusted) this.log.info({ reason }, 'wall clock trusted: readings no longer marked clockUnsynced');
      else this.log.warn({ reason, now: this.o.clock.now() }, 'wall clock not trusted: readings marked clockUnsynced');
    }
    this.trusted = trusted;
    this.reason = reason;
  }
}

/** undefined when absent or not stat-able. */
function stat(file: string): { readonly mtimeMs: number } | undefined {
  try {
    return statSync(file, { throwIfNoEntry: false });
  } catch {
    return undefined;
  }
}

function exists(file: string): boolean {
  return stat(file) !== undefined;
}

function mtimeMs(file: string): number | undefined {
  return stat(file)?.mtimeMs;
}
