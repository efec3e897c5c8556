import type { Logger } from 'pino';
import type { Dispatcher } from 'undici';
import type { StoredRecord } from '../../protocols/records.ts';
import { ATALAYA_RECORD_INVALID } from '../../protocols/records-errors.ts';
import { estimateRecordBytes } from '../../protocols/sync/batch.ts';
import type { IngestAck } from '../../protocols/sync/types.ts';
import { INGEST_PATH } from '../../protocols/sync/types.ts';
import { backoffDelay, refusedDelay } from './backoff.ts';
import type { BatchLimits, Refused, Selection } from './batcher.ts';
import { acknowledgedSeqs, selectBatch } from './batcher.ts';
import { createDispatcher } from './dispatcher.ts';
import type { SyncFailure } from './errors.ts';
import { attemptFailed, isPermanent, stoppedError } from './errors.ts';
import type { PreparedRequest } from './request.ts';
import { prepareRequest } from './request.ts';
import { SkewTracker } from './skew.ts';
import type { Attempt } from './transport.ts';
import { postIngest } from './transport.ts';
import type { SyncClientOptions, SyncState, SyncStatus } from './types.ts';

export type { SyncBuffer } from './batcher.ts';
export type { SyncClientConfig, SyncClientOptions, SyncState, SyncStatus } from './types.ts';

type Failed = Extract<Attempt, { ok: false }>;

/**
 * Store and forward to the relay: one batch in flight at a time, rows released only once the relay
 * has acknowledged them after its commit (protocols/sync/types.ts IngestAck), everything else
 * retried with backoff and never dropped. See agent/sync/README.md.
 */
export class SyncClient {
  private readonly o: SyncClientOptions;
  private readonly log: Logger;
  private readonly endpoint: URL;
  private readonly random: () => number;
  private phase: 'new' | 'running' | 'stopped' = 'new';
  private state: SyncState = 'stopped';
  private loop: Promise<void> | undefined;
  private stopping: Promise<void> | undefined;
  private dispatcher: Dispatcher | undefined;
  private ownsDispatcher = false;
  private readonly abort = new AbortController();
  private wake: (() => void) | undefined;
  private wakeOnCommit = false;
  private limits: BatchLimits;
  private readonly skew = new SkewTracker();
  private lastAckAt: number | null = null;
  private lastError: SyncFailure | null = null;
  private loggedFailure: SyncFailure | null = null;
  private consecutiveFailures = 0;
  private sentRecords = 0;
  private sentBytes = 0;
  private nextAttemptAt: number | null = null;
  private lagRecords = 0;
  private lastQuarantined = 0;
  /** Seqs the relay acknowledged that the buffer could not release yet (disk full, I/O error): retried before anything is sent. */
  private unreleased: readonly number[] | undefined;

  constructor(options: SyncClientOptions) {
    this.o = options;
    this.log = options.logger.child({ component: 'sync' });
    // The base URL may carry a path prefix (a relay behind a reverse proxy that strips it).
    this.endpoint = new URL(options.config.url.replace(/\/+$/, '') + INGEST_PATH);
    this.random = options.random ?? Math.random;
    this.limits = { records: options.config.batchRecords, bytes: options.config.batchBytes };
  }

  start(): void {
    if (this.phase === 'running') return;
    if (this.phase === 'stopped') throw stoppedError();
    this.dispatcher = this.o.dispatcher ?? createDispatcher(this.o.config);
    this.ownsDispatcher = this.o.dispatcher === undefined;
    this.phase = 'running';
    this.o.buffer.on('committed', this.onCommitted);
    this.log.info({ url: this.endpoint.origin, gateway: this.o.gatewayId }, 'sync started');
    this.loop = this.run().catch((err: unknown) => {
      this.log.fatal({ err }, 'sync loop failed');
      this.state = 'stopped';
    });
  }

  /** Aborts a request in flight (its records stay buffered) and waits for the loop to end. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  /** Relay clock − gateway clock, ms, as the last answer's Date header showed (0 within 30 s): the fleet poll signs with it too. */
  get clockOffsetMs(): number {
    return this.skew.offsetMs;
  }

  status(): SyncStatus {
    if (this.phase === 'running') {
      try {
        this.lagRecords = this.o.buffer.stats().count;
      } catch {
        // A closed buffer: keep the last count.
      }
    }
    return {
      state: this.state,
      lastAckAt: this.lastAckAt,
      lastError: this.lastError,
      consecutiveFailures: this.consecutiveFailures,
      sentRecords: this.sentRecords,
      sentBytes: this.sentBytes,
      nextAttemptAt: this.nextAttemptAt,
      lagRecords: this.lagRecords,
      quarantinedRecords: this.quarantinedRecords(),
    };
  }

  private async shutdown(): Promise<void> {
    const wasRunning = this.phase === 'running';
    this.phase = 'stopped';
    this.abort.abort();
    this.wake?.();
    await this.loop;
    this.o.buffer.off('committed', this.onCommitted);
    if (this.ownsDispatcher) await this.dispatcher?.close().catch((err: unknown) => this.log.warn({ err }, 'closing the HTTP client failed'));
    this.dispatcher = undefined;
    this.state = 'stopped';
    this.nextAttemptAt = null;
    if (wasRunning) this.log.info({ sentRecords: this.sentRecords }, 'sync stopped');
  }

  /**
   * Caught up, the client sends at most one batch per idleMs (a cellular link pays per request);
   * only a committed alarm cuts the wait short, so alarms leave at once.
   */
  private readonly onCommitted = (records: readonly StoredRecord[]): void => {
    if (this.wakeOnCommit && records.some((r) => r.kind === 'alarm')) this.wake?.();
  };

  private async run(): Promise<void> {
    while (this.phase === 'running') {
      if (this.unreleased !== undefined) {
        // Issue 19 item 5: resending before the release is recorded would send the same batch in a
        // hot loop. The rows stay until the buffer can delete them; nothing else is sent meanwhile.
        const failure = this.retryRelease(this.unreleased);
        if (failure !== undefined) {
          await this.failed(failure, [], 0);
          continue;
        }
      }
      let selection: Selection;
      let quarantined = 0;
      try {
        selection = selectBatch(this.o.buffer, this.limits, estimateRecordBytes);
        if (selection.refused.length > 0) quarantined = this.quarantine(selection.refused);
      } catch (err) {
        await this.failed({ ok: false, failure: 'buffer', error: attemptFailed('buffer', null, err) }, [], 0);
        continue;
      }
      const { records, bytes: estimated } = selection;
      if (records.length === 0) {
        // A read of nothing but quarantined rows: what follows them is selected at once.
        if (quarantined > 0) continue;
        this.state = 'idle';
        await this.pause(this.o.config.idleMs, true);
        continue;
      }
      this.state = 'sending';
      let request: PreparedRequest;
      try {
        request = prepareRequest({ ...this.o, path: INGEST_PATH, skewMs: this.skew.offsetMs }, records);
      } catch (err) {
        // Not a record's fault: the batch fields or signing inputs (gateway id, boot id, clock) are wrong.
        await this.failed({ ok: false, failure: 'malformed', error: attemptFailed('malformed', null, err) }, records, estimated);
        continue;
      }
      // From here the relay may store these rows even if no answer comes back: the buffer must not
      // evict them (and count them as lost) until they are released (issue 19 item 7).
      try {
        this.o.buffer.protect(records);
      } catch (err) {
        await this.failed({ ok: false, failure: 'buffer', error: attemptFailed('buffer', null, err) }, records, estimated);
        continue;
      }
      const attempt = await this.post(request);
      // An ack is honoured even if stop() came meanwhile: the relay has committed those records.
      const failure = attempt.ok ? this.acknowledged(records, attempt.ack, request.body.length) : attempt;
      if (failure !== undefined && failure.failure !== 'aborted' && this.phase === 'running') await this.failed(failure, records, estimated);
    }
  }

  /**
   * Rows the wire would refuse leave the queue for the buffer's quarantine table: one bad row must
   * not hold back the rest, and a restart must not send it again. Logged once each: they move.
   */
  private quarantine(refused: readonly Refused[]): number {
    const moved = this.o.buffer.quarantine(refused);
    for (const { record, problem } of refused) {
      this.log.error(
        {
          code: ATALAYA_RECORD_INVALID,
          seq: record.seq,
          kind: record.kind,
          device: record.device,
          channel: record.channel,
          path: problem.path,
          expected: problem.expected,
        },
        'buffered record refused by the record check: moved to quarantine, not sent',
      );
    }
    return moved;
  }

  /** From the buffer (it survives restarts); the last count when the buffer is closed. */
  private quarantinedRecords(): number {
    if (this.phase === 'running') {
      try {
        this.lastQuarantined = this.o.buffer.quarantined();
      } catch {
        // A closed buffer: keep the last count.
      }
    }
    return this.lastQuarantined;
  }

  private async post(request: PreparedRequest): Promise<Attempt> {
    const dispatcher = this.dispatcher;
    if (dispatcher === undefined) return { ok: false, failure: 'aborted', error: attemptFailed('aborted', null) };
    this.log.debug({ bytes: request.body.length }, 'sending batch');
    return postIngest({
      dispatcher,
      url: this.endpoint.href,
      body: request.body,
      headers: request.headers,
      timeoutMs: this.o.config.timeoutMs,
      signal: this.abort.signal,
      gatewayId: this.o.gatewayId,
      onServerDate: (ms) => this.skew.observe(ms, this.o.clock.now()),
    });
  }

  /** Releases exactly the acknowledged seqs of the batch; an ack covering none of them is a failure. */
  private acknowledged(batch: readonly StoredRecord[], ack: IngestAck, bytes: number): Failed | undefined {
    const seqs = acknowledgedSeqs(batch, ack.acknowledged);
    // Retrying at once would loop on the same records.
    if (seqs.length === 0) return { ok: false, failure: 'unacknowledged', error: attemptFailed('unacknowledged', 200) };
    const releaseFailure = this.release(seqs);
    if (seqs.length < batch.length)
      this.log.warn({ sent: batch.length, acknowledged: seqs.length }, 'relay acknowledged part of the batch; the rest is resent');
    if (this.consecutiveFailures > 0) this.log.info({ failures: this.consecutiveFailures, lastError: this.lastError }, 'relay reachable again');
    this.lastAckAt = this.o.clock.now();
    this.lastError = null;
    this.loggedFailure = null;
    this.consecutiveFailures = 0;
    this.nextAttemptAt = null;
    this.sentRecords += seqs.length;
    this.sentBytes += bytes;
    this.log.debug({ records: seqs.length, stored: ack.stored, duplicates: ack.duplicates, highestSeq: ack.highestSeq }, 'batch acknowledged');
    this.o.onAcknowledged?.();
    return releaseFailure;
  }

  /**
   * Deletes acknowledged rows. When the buffer cannot (disk full, I/O error, closed), that is a
   * failure: the seqs are kept and released before anything is sent again, with backoff.
   */
  private release(seqs: readonly number[]): Failed | undefined {
    try {
      this.o.buffer.release(seqs);
      this.unreleased = undefined;
      return undefined;
    } catch (err) {
      this.unreleased = seqs;
      return { ok: false, failure: 'buffer', error: attemptFailed('buffer', null, err) };
    }
  }

  private retryRelease(seqs: readonly number[]): Failed | undefined {
    const failure = this.release(seqs);
    if (failure === undefined) {
      this.log.info({ records: seqs.length, failures: this.consecutiveFailures }, 'acknowledged records released after a buffer failure');
      this.lastError = null;
      this.loggedFailure = null;
      this.consecutiveFailures = 0;
    }
    return failure;
  }

  /** Records the failure, then waits: the exponential backoff, or maxMs for a refusal retrying cannot fix. */
  private async failed(attempt: Failed, batch: readonly StoredRecord[], estimated: number): Promise<void> {
    const { failure } = attempt;
    this.consecutiveFailures++;
    this.lastError = failure;
    let permanent = isPermanent(failure);
    if (failure === 'too_large' && batch.length > 1) {
      // The relay's limit is below ours: halve for every later batch (kept until restart).
      this.limits = { records: Math.max(1, Math.floor(batch.length / 2)), bytes: Math.max(1, Math.floor(estimated / 2)) };
      permanent = false;
      this.log.warn({ records: this.limits.records, bytes: this.limits.bytes }, 'relay refused the batch as too large: batch limits halved');
    }
    const delay = permanent ? refusedDelay(this.o.config.backoff, this.random) : backoffDelay(this.consecutiveFailures, this.o.config.backoff, this.random);
    this.state = permanent ? 'refused' : 'backoff';
    this.nextAttemptAt = this.o.clock.now() + delay;
    const context = { err: attempt.error, failure, seqs: attempt.seqs, failures: this.consecutiveFailures, delayMs: delay, records: batch.length };
    if (failure !== this.loggedFailure) {
      // Once per change of failure: a relay down for days must not fill the SD card with logs.
      if (permanent) this.log.error(context, 'relay refused the batch; records kept, retrying at the longest backoff');
      else this.log.warn(context, 'sync attempt failed; retrying with backoff');
      this.loggedFailure = failure;
    } else this.log.debug(context, 'sync attempt failed again');
    await this.pause(delay, false);
    this.nextAttemptAt = null;
  }

  /** Waits `ms`, or less when stop() is called or (wakeOnCommit) the buffer commits. */
  private pause(ms: number, wakeOnCommit: boolean): Promise<void> {
    if (this.phase !== 'running') return Promise.resolve();
    return new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.wake = undefined;
        this.wakeOnCommit = false;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake = done;
      this.wakeOnCommit = wakeOnCommit;
    });
  }
}
