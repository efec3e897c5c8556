import type { Logger } from 'pino';
import type { Clock } from '../../protocols/clock.ts';
import { invalidOptions } from './errors.ts';

export type Durability = 'normal' | 'full';

export interface BufferOptions {
  /** SQLite file; its parent directory is created if missing. */
  readonly path: string;
  /**
   * Both modes use WAL (docs/storage.md#wal-and-synchronous).
   * 'normal': synchronous=NORMAL, the WAL is fsynced only at checkpoints. Survives a crash or
   *   SIGKILL of the agent (committed pages are in the OS cache); a power cut may lose the last
   *   commits, never corrupts the file.
   * 'full': synchronous=FULL, every group commit is fsynced before its appends resolve: survives
   *   power cuts, at the cost of one fsync per commit window (SD-card wear).
   * Default 'normal'.
   */
  readonly durability?: Durability;
  /**
   * Least spacing between two group commits, ms, integer 0..10000, default 0 = commit on the next
   * event-loop turn: every append made while the previous commit ran (better-sqlite3 blocks the
   * loop) or during the same I/O turn shares one commit, the group commit of a write-ahead log.
   * A spacing trades latency (a QoS 1 PUBACK waits for it) for fewer commits: with durability
   * 'normal' it saves little (test/bench/mqtt.ts prints bytes written per message: 0 and 50 ms
   * differ by under 20 %); with 'full' it bounds fsyncs per second on an SD card.
   */
  readonly commitIntervalMs?: number;
  /** Rows that trigger a commit before the window ends, and the most rows one commit takes, 1..100000, default 5000. */
  readonly maxBatch?: number;
  /** Bound on the database's used pages, bytes, ≥ 128 KiB, default 256 MiB (the WAL comes on top, see buffer.ts). */
  readonly maxBytes?: number;
  /** Records whose `ts` is older than now − maxAgeMs are evicted, ms, ≥ 1, default 30 days. */
  readonly maxAgeMs?: number;
  /**
   * Free space kept on the buffer's filesystem, bytes, 0..2^40, default 64 MiB, 0 = off: below it the
   * buffer stops growing and evicts by priority within its file (space.ts), so SQLite does not hit
   * a full disk and new alarms are still stored.
   */
  readonly minFreeBytes?: number;
  /**
   * How long a commit waits for another connection's write lock (e.g. an operator's sqlite3 shell)
   * before it fails with BUFFER_WRITE_FAILED, ms, 0..60000, default 5000.
   */
  readonly busyTimeoutMs?: number;
  readonly clock: Clock;
  readonly logger: Logger;
}

export interface ResolvedBufferOptions {
  readonly path: string;
  readonly durability: Durability;
  readonly commitIntervalMs: number;
  readonly maxBatch: number;
  readonly maxBytes: number;
  readonly maxAgeMs: number;
  readonly minFreeBytes: number;
  readonly busyTimeoutMs: number;
  readonly clock: Clock;
  readonly logger: Logger;
}

export const BUFFER_DEFAULTS = {
  durability: 'normal',
  commitIntervalMs: 0,
  maxBatch: 5000,
  maxBytes: 256 * 1024 * 1024,
  maxAgeMs: 30 * 24 * 3600 * 1000,
  minFreeBytes: 64 * 1024 * 1024,
  busyTimeoutMs: 5000,
} as const satisfies Partial<ResolvedBufferOptions>;

/** Smallest accepted bound: an empty database already takes 15 pages of 4 KiB (60 KiB). */
export const MIN_MAX_BYTES = 128 * 1024;

/** Fills defaults and checks ranges; every problem is reported at once (BUFFER_INVALID_OPTIONS). */
export function resolveBufferOptions(options: BufferOptions): ResolvedBufferOptions {
  const resolved: ResolvedBufferOptions = {
    path: options.path,
    durability: options.durability ?? BUFFER_DEFAULTS.durability,
    commitIntervalMs: options.commitIntervalMs ?? BUFFER_DEFAULTS.commitIntervalMs,
    maxBatch: options.maxBatch ?? BUFFER_DEFAULTS.maxBatch,
    maxBytes: options.maxBytes ?? BUFFER_DEFAULTS.maxBytes,
    maxAgeMs: options.maxAgeMs ?? BUFFER_DEFAULTS.maxAgeMs,
    minFreeBytes: options.minFreeBytes ?? BUFFER_DEFAULTS.minFreeBytes,
    busyTimeoutMs: options.busyTimeoutMs ?? BUFFER_DEFAULTS.busyTimeoutMs,
    clock: options.clock,
    logger: options.logger,
  };
  const problems: string[] = [];
  if (typeof resolved.path !== 'string' || resolved.path.length === 0) problems.push('path: expected a non-empty file path');
  if (resolved.durability !== 'normal' && resolved.durability !== 'full') problems.push('durability: expected one of normal, full');
  checkInt(problems, 'commitIntervalMs', resolved.commitIntervalMs, 0, 10_000);
  checkInt(problems, 'maxBatch', resolved.maxBatch, 1, 100_000);
  checkInt(problems, 'maxBytes', resolved.maxBytes, MIN_MAX_BYTES, Number.MAX_SAFE_INTEGER);
  checkInt(problems, 'maxAgeMs', resolved.maxAgeMs, 1, Number.MAX_SAFE_INTEGER);
  checkInt(problems, 'minFreeBytes', resolved.minFreeBytes, 0, 2 ** 40);
  checkInt(problems, 'busyTimeoutMs', resolved.busyTimeoutMs, 0, 60_000);
  if (typeof resolved.clock?.now !== 'function' || typeof resolved.clock.monotonic !== 'function') problems.push('clock: expected a Clock');
  if (typeof resolved.logger?.child !== 'function') problems.push('logger: expected a pino Logger');
  const known = new Set(['path', 'durability', 'commitIntervalMs', 'maxBatch', 'maxBytes', 'maxAgeMs', 'minFreeBytes', 'busyTimeoutMs', 'clock', 'logger']);
  for (const key of Object.keys(options)) {
    if (!known.has(key)) problems.push(`${key}: unknown option (known: ${[...known].join(', ')})`);
  }
  if (problems.length > 0) throw invalidOptions(problems);
  return resolved;
}

function checkInt(problems: string[], name: string, value: number, min: number, max: number): void {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    problems.push(`${name}: expected an integer in ${min}..${max}, got ${String(value)}`);
  }
}
