/**
 * The relay's signature on what it answers a gateway (fleet configuration, commands, releases):
 * HMAC-SHA256 keyed with the same 32-byte gateway secret as the request, over
 * `RESPONSE\n${path}\n${requestNonce}\n${timestamp}\n${status}\n${sha256hex(body)}`.
 *
 * Binding the answer to the nonce of the request it answers is the replay protection: the gateway
 * accepts an answer only to the request it has just sent, so an answer recorded earlier (or sent
 * to another gateway, whose key differs) never verifies. Six fields against the request's five,
 * none containing `\n`, so a signed request can never pass for a signed answer.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { invalidArgument } from './errors.ts';

export const RESPONSE_SIGNATURE_HEADERS = {
  timestamp: 'x-atalaya-timestamp',
  signature: 'x-atalaya-signature',
} as const;

const MAX_FIELD_LENGTH = 2048;
const SIGNATURE = /^[0-9a-f]{64}$/;

export interface SignedResponse {
  /** The path of the request answered, as the gateway sent it. */
  readonly path: string;
  /** The nonce of the request answered. */
  readonly requestNonce: string;
  /** When the relay signed, ms since the epoch. */
  readonly timestamp: number;
  /** The HTTP status of the answer. */
  readonly status: number;
  readonly body: Uint8Array;
  readonly secret: Uint8Array;
}

/** Throws ATALAYA_SYNC_INVALID_ARGUMENT for a field that cannot be signed unambiguously. */
export function signResponse(p: SignedResponse): string {
  const problem = fieldProblem(p);
  if (problem !== undefined) throw invalidArgument(problem[0], problem[1]);
  return hmac(p);
}

/** Constant-time comparison; false (never a throw) for a malformed signature or answer. */
export function verifyResponse(p: SignedResponse & { readonly signature: string }): boolean {
  try {
    if (typeof p.signature !== 'string' || !SIGNATURE.test(p.signature) || fieldProblem(p) !== undefined) return false;
    return timingSafeEqual(Buffer.from(hmac(p), 'hex'), Buffer.from(p.signature, 'hex'));
  } catch {
    return false;
  }
}

function hmac(p: SignedResponse): string {
  const bodyHash = createHash('sha256').update(p.body).digest('hex');
  return createHmac('sha256', p.secret).update(`RESPONSE\n${p.path}\n${p.requestNonce}\n${p.timestamp}\n${p.status}\n${bodyHash}`, 'utf8').digest('hex');
}

function fieldProblem(p: SignedResponse): [field: string, problem: string] | undefined {
  for (const field of ['path', 'requestNonce'] as const) {
    const s = p[field];
    if (typeof s !== 'string' || s.length === 0 || s.length > MAX_FIELD_LENGTH || s.includes('\n')) {
      return [field, `expected 1..${MAX_FIELD_LENGTH} characters without a newline`];
    }
  }
  if (!Number.isSafeInteger(p.timestamp) || p.timestamp < 0) return ['timestamp', 'expected a safe integer ≥ 0'];
  if (!Number.isInteger(p.status) || p.status < 100 || p.status > 599) return ['status', 'expected an HTTP status'];
  if (!(p.body instanceof Uint8Array)) return ['body', 'expected bytes'];
  if (!(p.secret instanceof Uint8Array) || p.secret.length === 0) return ['secret', 'expected non-empty bytes'];
  return undefined;
}
