import { Counter, type Registry } from 'prom-client';
import { isAtalayaError } from '../../protocols/errors.ts';
import { IngestRefused, isIngestBusy } from '../ingest/errors.ts';
import { STORE_CLOSED, STORE_UNAVAILABLE } from '../store/errors.ts';

/** Told once per POST /v1/ingest: its outcome label and the records it newly stored. */
export type IngestObserver = (outcome: string, records: number) => void;

/** The outcome of a successful request (duplicates-only batches included: they are acknowledged). */
export const INGEST_ACCEPTED = 'accepted';

/**
 * The outcome label of a failed ingest, the same word the reply carries in `error`
 * (cloud/http/server.ts errorReply): a refusal, unavailable (store down, 503), or internal.
 */
export function ingestOutcome(err: unknown): string {
  if (err instanceof IngestRefused) return err.refusal;
  // Decoding as much as ingest.maxDecodeBytesInFlight allows: 503, the gateway retries.
  if (isIngestBusy(err)) return 'busy';
  if (isAtalayaError(err, STORE_UNAVAILABLE) || isAtalayaError(err, STORE_CLOSED)) return 'unavailable';
  const { statusCode, code } = err as { statusCode?: number; code?: string };
  // Fastify refuses before the handler: body over the limit, wrong content type.
  if (statusCode !== undefined && statusCode >= 400 && statusCode < 500) return code === 'FST_ERR_CTP_BODY_TOO_LARGE' ? 'too_large' : 'malformed';
  return 'internal';
}

export function registerIngestMetrics(registry: Registry): IngestObserver {
  const requests = new Counter({
    name: 'atalaya_relay_ingest_requests_total',
    help: 'POST /v1/ingest requests by outcome: accepted, a refusal (unauthenticated, stale, replayed, conflict, ...), busy (decode budget full), unavailable, internal',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  const stored = new Counter({
    name: 'atalaya_relay_records_stored_total',
    help: 'Records newly stored from ingest requests (duplicates not counted) since the relay started',
    registers: [registry],
  });
  return (outcome, records) => {
    requests.inc({ outcome });
    if (records > 0) stored.inc(records);
  };
}
