import { AtalayaError, isAtalayaError } from '../../protocols/errors.ts';
import type { IngestRefusal } from '../../protocols/sync/types.ts';

/**
 * HTTP status per refusal (the contract in protocols/sync/types.ts; documented in
 * cloud/README.md). stale and replayed are 401 like a bad signature: the request does not prove
 * who sent it *now*, and a client fixes all three the same way (a fresh timestamp, nonce and
 * signature). too_large is 413 whether the body or the record count is over the limit.
 */
export const REFUSAL_STATUS: Readonly<Record<IngestRefusal, number>> = {
  unauthenticated: 401,
  forbidden: 403,
  stale: 401,
  replayed: 401,
  too_large: 413,
  malformed: 400,
  conflict: 409,
};

/** The relay key decrypts none, or not all, of the stored gateway secrets (or DGA credentials): refuse to start. */
export const KEY_MISMATCH = 'ATALAYA_RELAY_KEY_MISMATCH';
/** A gateway id outside GATEWAY_ID_PATTERN (gateway-secrets.ts). */
export const GATEWAY_ID_INVALID = 'ATALAYA_RELAY_GATEWAY_ID_INVALID';

export const INGEST_UNAUTHENTICATED = 'ATALAYA_INGEST_UNAUTHENTICATED';
export const INGEST_FORBIDDEN = 'ATALAYA_INGEST_FORBIDDEN';
export const INGEST_STALE = 'ATALAYA_INGEST_STALE';
export const INGEST_REPLAYED = 'ATALAYA_INGEST_REPLAYED';
export const INGEST_TOO_LARGE = 'ATALAYA_INGEST_TOO_LARGE';
export const INGEST_MALFORMED = 'ATALAYA_INGEST_MALFORMED';
export const INGEST_CONFLICT = 'ATALAYA_INGEST_CONFLICT';
/** A batch's seq more than ingest.maxSeqJump above the gateway's highest stored seq: on the wire, malformed (400). */
export const INGEST_SEQ_OUT_OF_WINDOW = 'ATALAYA_INGEST_SEQ_OUT_OF_WINDOW';
/** The relay is decoding as much as ingest.maxDecodeBytesInFlight allows: 503 with Retry-After, not a refusal. */
export const INGEST_BUSY = 'ATALAYA_INGEST_BUSY';
/** Seconds a busy relay asks the gateway to wait (Retry-After). */
export const BUSY_RETRY_AFTER_S = 1;

const CODES = {
  unauthenticated: INGEST_UNAUTHENTICATED,
  forbidden: INGEST_FORBIDDEN,
  stale: INGEST_STALE,
  replayed: INGEST_REPLAYED,
  too_large: INGEST_TOO_LARGE,
  malformed: INGEST_MALFORMED,
  conflict: INGEST_CONFLICT,
} as const satisfies Record<IngestRefusal, string>;
export type IngestErrorCode = (typeof CODES)[IngestRefusal] | typeof INGEST_SEQ_OUT_OF_WINDOW;

export interface RefuseOptions {
  readonly cause?: unknown;
  readonly seqs?: readonly number[];
  readonly gateway?: string;
  /** A finer code than the refusal's own, for a refusal that shares its wire word with others. */
  readonly code?: IngestErrorCode;
}

/** A refused ingest request: `refusal` goes on the wire, `message` too (so it never holds a secret). */
export class IngestRefused extends AtalayaError<IngestErrorCode> {
  readonly refusal: IngestRefusal;
  readonly status: number;
  /** For conflict: the seqs stored with other content. */
  readonly seqs: readonly number[] | undefined;

  constructor(refusal: IngestRefusal, message: string, options: RefuseOptions = {}) {
    super(options.code ?? CODES[refusal], message, { cause: options.cause, details: { refusal, gateway: options.gateway, seqs: options.seqs } });
    this.name = 'IngestRefused';
    this.refusal = refusal;
    this.status = REFUSAL_STATUS[refusal];
    this.seqs = options.seqs;
  }
}

export function isIngestRefused(err: unknown, code?: IngestErrorCode): err is IngestRefused {
  return err instanceof IngestRefused && isAtalayaError(err, code);
}

export function refuse(refusal: IngestRefusal, message: string, options: RefuseOptions = {}): IngestRefused {
  return new IngestRefused(refusal, message, options);
}

export class IngestBusy extends AtalayaError<typeof INGEST_BUSY> {
  constructor(bytes: number, budget: number) {
    super(INGEST_BUSY, 'the relay is decoding as many batches as it may at once; retry later', { details: { bytes, budget } });
    this.name = 'IngestBusy';
  }
}

export function isIngestBusy(err: unknown): err is IngestBusy {
  return err instanceof IngestBusy && isAtalayaError(err, INGEST_BUSY);
}
