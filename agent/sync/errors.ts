import { AtalayaError, isAtalayaError } from '../../protocols/errors.ts';
import type { IngestRefusal } from '../../protocols/sync/types.ts';
import { INGEST_REFUSALS } from '../../protocols/sync/types.ts';

/** The gateway secret is missing, unreadable or not in the form the relay printed. details.source names where it was looked for. */
export const SYNC_SECRET = 'ATALAYA_SYNC_SECRET';
/** caFile could not be read. */
export const SYNC_CA_FILE = 'ATALAYA_SYNC_CA_FILE';
/** An ingest attempt failed; details.failure is a SyncFailure, details.status the HTTP status when there was one. */
export const SYNC_ATTEMPT_FAILED = 'ATALAYA_SYNC_ATTEMPT_FAILED';
/** start() on a client that was stopped. */
export const SYNC_STOPPED = 'ATALAYA_SYNC_STOPPED';

export type SyncClientErrorCode = typeof SYNC_SECRET | typeof SYNC_CA_FILE | typeof SYNC_ATTEMPT_FAILED | typeof SYNC_STOPPED;

/**
 * Why one attempt failed, as reported in status().lastError: the relay's own refusal codes, plus
 * what the gateway sees on the way (transport, answer, buffer).
 */
export const SYNC_FAILURES = [
  ...INGEST_REFUSALS,
  'server_error', // 5xx or 429: the relay is in trouble
  'timeout', // no complete answer within timeoutMs
  'connection_refused',
  'connection_reset',
  'network', // DNS, unreachable host, TLS, …
  'invalid_answer', // not JSON, or not an IngestAck / IngestError
  'unexpected_status', // a status the ingest contract does not use (404: wrong url, 3xx, …)
  'unacknowledged', // a 200 whose ack covers none of the batch
  'buffer', // reading the buffer, or releasing acknowledged records, failed
  'aborted', // stop() during the request
] as const;
export type SyncFailure = (typeof SYNC_FAILURES)[number];

const REFUSALS: ReadonlySet<string> = new Set(INGEST_REFUSALS);

export function isIngestRefusal(value: unknown): value is IngestRefusal {
  return typeof value === 'string' && REFUSALS.has(value);
}

/**
 * Failures that retrying the same request cannot fix: the client waits the longest backoff and
 * reports 'refused' (records are kept). too_large is fixable by a smaller batch while the batch
 * has more than one record: the client decides that, not this list.
 */
const PERMANENT: ReadonlySet<SyncFailure> = new Set<SyncFailure>(['unauthenticated', 'forbidden', 'malformed', 'too_large', 'conflict', 'unexpected_status']);

export function isPermanent(failure: SyncFailure): boolean {
  return PERMANENT.has(failure);
}

export class SyncClientError extends AtalayaError<SyncClientErrorCode> {
  constructor(code: SyncClientErrorCode, message: string, options: { cause?: unknown; details?: Record<string, unknown> } = {}) {
    super(code, message, options);
    this.name = 'SyncClientError';
  }
}

export function isSyncClientError(err: unknown, code?: SyncClientErrorCode): err is SyncClientError {
  return err instanceof SyncClientError && isAtalayaError(err, code);
}

export function secretError(source: string, reason: string, cause?: unknown): SyncClientError {
  return new SyncClientError(SYNC_SECRET, `gateway secret (${source}): ${reason}`, { cause, details: { source } });
}

export function caFileError(file: string, cause: unknown): SyncClientError {
  return new SyncClientError(SYNC_CA_FILE, `cannot read caFile ${file}`, { cause, details: { file } });
}

export function attemptFailed(failure: SyncFailure, status: number | null, cause?: unknown, seqs?: readonly number[]): SyncClientError {
  const details: Record<string, unknown> = { failure, status };
  if (seqs !== undefined) details['seqs'] = seqs;
  return new SyncClientError(SYNC_ATTEMPT_FAILED, `ingest attempt failed: ${failure}${status === null ? '' : ` (HTTP ${status})`}`, { cause, details });
}

export function stoppedError(): SyncClientError {
  return new SyncClientError(SYNC_STOPPED, 'sync client was stopped: create a new SyncClient');
}
