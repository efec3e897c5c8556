import type { Logger } from 'pino';
import type { Dispatcher } from 'undici';
import type { Clock } from '../../protocols/clock.ts';
import type { SyncBuffer } from './batcher.ts';
import type { SyncFailure } from './errors.ts';
import type { SyncConfig } from './schema.ts';

/** What the client needs of the `sync:` section, with the url known to be set. */
export type SyncClientConfig = Pick<SyncConfig, 'batchRecords' | 'batchBytes' | 'timeoutMs' | 'backoff' | 'idleMs' | 'caFile'> & { readonly url: string };

export interface SyncClientOptions {
  readonly config: SyncClientConfig;
  readonly gatewayId: string;
  /** Raw secret bytes (loadGatewaySecret); used to sign, never logged. */
  readonly secret: Uint8Array;
  readonly buffer: SyncBuffer;
  readonly clock: Clock;
  readonly bootId: string;
  /** Read when each batch is built (ClockWatch.synced). */
  readonly clockSynced: () => boolean;
  readonly logger: Logger;
  /** HTTP client; default an undici Agent trusting caFile, owned and closed by the client. */
  readonly dispatcher?: Dispatcher;
  /** Jitter source, [0, 1); default Math.random. */
  readonly random?: () => number;
  /** Called after each acknowledged batch (the link is up): the fleet client polls then if it is nearly due. */
  readonly onAcknowledged?: () => void;
}

/**
 * idle: caught up, waiting for records; sending: a batch is being built or is in flight;
 * backoff: waiting after a failure that may fix itself; refused: waiting maxMs after a refusal
 * that retrying cannot fix (records kept); stopped: before start() and after stop().
 */
export type SyncState = 'idle' | 'sending' | 'backoff' | 'stopped' | 'refused';

export interface SyncStatus {
  readonly state: SyncState;
  /** Gateway wall clock at the last acknowledgement, ms since the epoch; null before the first. */
  readonly lastAckAt: number | null;
  /** Failure of the last attempt; null after a success. */
  readonly lastError: SyncFailure | null;
  readonly consecutiveFailures: number;
  /** Records acknowledged since start(). */
  readonly sentRecords: number;
  /** Request bytes (gzip body) of acknowledged batches since start(). */
  readonly sentBytes: number;
  /** Gateway wall clock of the next attempt while backing off or refused, ms since the epoch. */
  readonly nextAttemptAt: number | null;
  /** Records in the buffer not yet acknowledged. */
  readonly lagRecords: number;
  /**
   * Records found in the buffer that the record check refuses (only files written before append
   * ran that check can hold them), moved to the buffer's quarantine table and never sent; since
   * the buffer file was created.
   */
  readonly quarantinedRecords: number;
}
