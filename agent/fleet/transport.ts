/**
 * One poll on the wire: POST the signed gzip poll, then accept the answer only when it carries
 * the relay's signature for this request's nonce (protocols/sync/response-signature.ts). Never
 * throws: every way a poll can end is a PollOutcome.
 */
import type { Dispatcher } from 'undici';
import { decodeAnswer } from '../../protocols/fleet/codec.ts';
import { ATALAYA_FLEET_MALFORMED, isFleetError } from '../../protocols/fleet/errors.ts';
import type { FleetAnswer } from '../../protocols/fleet/types.ts';
import { RESPONSE_SIGNATURE_HEADERS, verifyResponse } from '../../protocols/sync/response-signature.ts';
import { postToRelay } from '../sync/post.ts';

/** Largest answer read, bytes: parts carry configs and commands, never binaries (those are downloaded apart). */
export const MAX_ANSWER_BYTES = 4 * 1024 * 1024;

/**
 * status: the relay answered non-200 (a refusal, 5xx); unsigned: a 200 without a valid signature
 * for this nonce (discarded); malformed: signed but not a v1 answer; too_large: over
 * MAX_ANSWER_BYTES; network, timeout: no answer; aborted: stop().
 */
export type PollFailure = 'status' | 'unsigned' | 'malformed' | 'too_large' | 'network' | 'timeout' | 'aborted';

export type PollOutcome =
  | { readonly ok: true; readonly answer: FleetAnswer; readonly receivedBytes: number }
  | { readonly ok: false; readonly failure: PollFailure; readonly status: number | null; readonly cause?: unknown };

export interface PollRequest {
  readonly dispatcher: Dispatcher;
  readonly url: string;
  /** The path signed (FLEET_POLL_PATH), and the one the answer's signature must name. */
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
  readonly nonce: string;
  readonly secret: Uint8Array;
  readonly timeoutMs: number;
  readonly signal: AbortSignal;
}

export function postPoll(req: PollRequest): Promise<PollOutcome> {
  return postToRelay(
    req,
    async (res): Promise<PollOutcome> => {
      const body = await readBounded(res.body);
      if (body === undefined) return { ok: false, failure: 'too_large', status: res.statusCode };
      if (res.statusCode !== 200) return { ok: false, failure: 'status', status: res.statusCode };
      const timestamp = header(res.headers[RESPONSE_SIGNATURE_HEADERS.timestamp]);
      const signature = header(res.headers[RESPONSE_SIGNATURE_HEADERS.signature]);
      const signed =
        timestamp !== undefined &&
        signature !== undefined &&
        /^\d{1,15}$/.test(timestamp) &&
        verifyResponse({ path: req.path, requestNonce: req.nonce, timestamp: Number(timestamp), status: res.statusCode, body, secret: req.secret, signature });
      if (!signed) return { ok: false, failure: 'unsigned', status: res.statusCode };
      try {
        return { ok: true, answer: decodeAnswer(body), receivedBytes: body.length };
      } catch (err) {
        if (isFleetError(err, ATALAYA_FLEET_MALFORMED)) return { ok: false, failure: 'malformed', status: res.statusCode, cause: err };
        throw err;
      }
    },
    (why, err) => ({ ok: false, failure: why, status: null, cause: err }),
  );
}

function header(v: string | string[] | undefined): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** The body, or undefined (the rest dropped) once it passes MAX_ANSWER_BYTES. */
async function readBounded(body: AsyncIterable<Buffer> & { destroy(): unknown }): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > MAX_ANSWER_BYTES) {
      body.destroy();
      return undefined;
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size);
}
