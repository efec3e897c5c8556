import type { Clock } from '../../protocols/clock.ts';
import type { StoredRecord } from '../../protocols/records.ts';
import { encodeBatch } from '../../protocols/sync/batch.ts';
import { newNonce, SIGNATURE_HEADERS, signRequest } from '../../protocols/sync/signature.ts';

export interface RequestContext {
  readonly gatewayId: string;
  readonly bootId: string;
  readonly clock: Clock;
  readonly clockSynced: () => boolean;
  readonly secret: Uint8Array;
  /** Path signed: INGEST_PATH, which the relay verifies whatever prefix a proxy in front of it strips. */
  readonly path: string;
  /** Relay clock − gateway clock, ms, added to the signed timestamp (see SkewTracker). */
  readonly skewMs: number;
}

export interface PreparedRequest {
  readonly body: Buffer;
  readonly headers: Readonly<Record<string, string>>;
}

/**
 * The body (protocols/sync/batch.ts) and headers (protocols/sync/signature.ts) of one attempt.
 * Timestamp and nonce are fresh each call: the relay refuses a replayed nonce, so a retry is a new
 * request. The records passed the record check when they were selected (batcher.ts), so what
 * encodeBatch throws (ATALAYA_SYNC_MALFORMED) is not a record's fault: a gateway id or boot id the
 * relay would refuse, a clock before 1970 — configuration errors.
 */
export function prepareRequest(ctx: RequestContext, records: readonly StoredRecord[]): PreparedRequest {
  const { clock, gatewayId } = ctx;
  const body = encodeBatch({ gateway: gatewayId, sentAt: clock.now(), mono: clock.monotonic(), bootId: ctx.bootId, clockSynced: ctx.clockSynced(), records });
  const timestamp = clock.now() + ctx.skewMs;
  const nonce = newNonce();
  const signature = signRequest({ method: 'POST', path: ctx.path, timestamp, nonce, body, secret: ctx.secret });
  const headers = {
    'content-type': 'application/octet-stream',
    [SIGNATURE_HEADERS.gateway]: gatewayId,
    [SIGNATURE_HEADERS.timestamp]: String(timestamp),
    [SIGNATURE_HEADERS.nonce]: nonce,
    [SIGNATURE_HEADERS.signature]: signature,
  };
  return { body, headers };
}
