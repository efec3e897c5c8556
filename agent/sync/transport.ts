import type { Dispatcher } from 'undici';
import { ingestAckSchema, ingestErrorSchema } from '../../protocols/sync/schemas.ts';
import type { IngestAck } from '../../protocols/sync/types.ts';
import type { SyncClientError, SyncFailure } from './errors.ts';
import { attemptFailed, isIngestRefusal } from './errors.ts';
import { postToRelay } from './post.ts';

export interface IngestRequest {
  readonly dispatcher: Dispatcher;
  /** Absolute URL of the ingest endpoint. */
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
  /** Whole-request deadline, ms. */
  readonly timeoutMs: number;
  /** Aborted by stop(): the request is dropped, its records stay in the buffer. */
  readonly signal: AbortSignal;
  /** The ack must name this gateway. */
  readonly gatewayId: string;
  /** Called with the relay's clock (its HTTP Date header, RFC 9110 §6.6.1) on every answer. */
  readonly onServerDate?: (ms: number) => void;
}

export type Attempt =
  | { readonly ok: true; readonly ack: IngestAck }
  | { readonly ok: false; readonly failure: SyncFailure; readonly error: SyncClientError; readonly seqs?: readonly number[] };

/** Status → refusal when the body does not say (a proxy's page, an empty body). */
const STATUS_REFUSALS: Readonly<Record<number, SyncFailure>> = {
  400: 'malformed',
  401: 'unauthenticated',
  403: 'forbidden',
  408: 'timeout',
  409: 'conflict',
  413: 'too_large',
  429: 'server_error',
};

/** One POST of one encoded batch; never throws: every way it can end is an Attempt. */
export function postIngest(req: IngestRequest): Promise<Attempt> {
  return postToRelay(
    req,
    async (res): Promise<Attempt> => {
      const date = res.headers['date'];
      if (typeof date === 'string' && req.onServerDate !== undefined) {
        const ms = Date.parse(date);
        if (Number.isFinite(ms)) req.onServerDate(ms);
      }
      if (res.statusCode >= 500 || res.statusCode === 429) {
        await res.body.dump();
        return failed('server_error', res.statusCode);
      }
      return answer(res.statusCode, await res.body.text(), req.gatewayId);
    },
    (why, err) => failed(why === 'network' ? transportFailure(err) : why, null, err),
  );
}

function answer(status: number, text: string, gatewayId: string): Attempt {
  let json: unknown;
  let parseError: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    parseError = err;
  }
  if (status === 200) {
    if (parseError !== undefined) return failed('invalid_answer', status, parseError);
    const ack = ingestAckSchema.safeParse(json);
    if (!ack.success) return failed('invalid_answer', status, ack.error);
    if (ack.data.gateway !== gatewayId) return failed('invalid_answer', status);
    return { ok: true, ack: ack.data };
  }
  const refusal = parseError === undefined ? ingestErrorSchema.safeParse(json) : undefined;
  if (refusal?.success === true && isIngestRefusal(refusal.data.error)) return failed(refusal.data.error, status, undefined, refusal.data.seqs);
  return failed(STATUS_REFUSALS[status] ?? 'unexpected_status', status);
}

function failed(failure: SyncFailure, status: number | null, cause?: unknown, seqs?: readonly number[]): Attempt {
  const error = attemptFailed(failure, status, cause, seqs);
  return seqs === undefined ? { ok: false, failure, error } : { ok: false, failure, error, seqs };
}

const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ETIMEDOUT']);
const RESET_CODES = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED']);

/** By error code (undici's UND_ERR_*, Node's errno), never by message. */
function transportFailure(err: unknown): SyncFailure {
  const code = errorCode(err) ?? errorCode((err as { cause?: unknown } | null)?.cause);
  if (code === undefined) return 'network';
  if (TIMEOUT_CODES.has(code)) return 'timeout';
  if (code === 'ECONNREFUSED') return 'connection_refused';
  if (RESET_CODES.has(code)) return 'connection_reset';
  return 'network';
}

function errorCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}
