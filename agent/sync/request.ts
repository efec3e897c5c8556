import type { Clock } from '../../protocols/clock.ts';
import { isAtalayaError } from '../../protocols/errors.ts';
import type { StoredRecord } from '../../protocols/records.ts';
import { encodeBatch } from '../../protocols/sync/batch.ts';
import { ATALAYA_SYNC_MALFORMED } from '../../protocols/sync/errors.ts';
import { firstIssue, storedRecordSchema } from '../../protocols/sync/schemas.ts';
import { SIGNATURE_HEADERS, newNonce, signRequest } from '../../protocols/sync/signature.ts';

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

export interface Unsendable {
  readonly record: StoredRecord;
  /** First problem, e.g. "unit: Too big: expected string to have <=32 characters". */
  readonly issue: string;
}

export type Prepared =
  | { readonly ok: true; readonly body: Buffer; readonly headers: Readonly<Record<string, string>> }
  /** Records the wire format refuses (the buffer's append checks are looser); nothing was encoded. */
  | { readonly ok: false; readonly unsendable: readonly Unsendable[] };

/**
 * The body (protocols/sync/batch.ts) and headers (protocols/sync/signature.ts) of one attempt.
 * Timestamp and nonce are fresh each call: the relay refuses a replayed nonce, so a retry is a new
 * request. When encodeBatch refuses the batch, each record is checked to find the culprits; doing
 * that only on failure keeps the per-batch cost to the one validation encodeBatch already does.
 * Throws what is not a record's fault (a gateway id or boot id the relay would refuse, a clock
 * before 1970): configuration errors.
 */
export function prepareRequest(ctx: RequestContext, records: readonly StoredRecord[]): Prepared {
  const { clock, gatewayId } = ctx;
  let body: Buffer;
  try {
    body = encodeBatch({ gateway: gatewayId, sentAt: clock.now(), mono: clock.monotonic(), bootId: ctx.bootId, clockSynced: ctx.clockSynced(), records });
  } catch (err) {
    if (!isAtalayaError(err, ATALAYA_SYNC_MALFORMED)) throw err;
    const unsendable: Unsendable[] = [];
    for (const record of records) {
      const checked = storedRecordSchema.safeParse(record);
      if (!checked.success) unsendable.push({ record, issue: firstIssue(checked.error) });
    }
    if (unsendable.length === 0) throw err;
    return { ok: false, unsendable };
  }
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
  return { ok: true, body, headers };
}
