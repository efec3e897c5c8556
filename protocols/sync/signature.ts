/**
 * HMAC-SHA256 (RFC 2104, FIPS 180-4) request signing between a gateway and the relay.
 *
 * String to sign, UTF-8: `${method}\n${path}\n${timestamp}\n${nonce}\n${sha256hex(body)}`, with
 * timestamp a decimal integer and the body hash lowercase hex; the signature is the lowercase hex
 * HMAC keyed with the gateway's 32-byte secret. Fields are taken as given (no case folding), and
 * none may contain `\n`, so no two requests share a string to sign. The relay checks the
 * timestamp window and the nonce's novelty itself; this module only proves who signed what.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { invalidArgument } from './errors.ts';

export const SIGNATURE_HEADERS = {
  gateway: 'x-atalaya-gateway',
  timestamp: 'x-atalaya-timestamp',
  nonce: 'x-atalaya-nonce',
  signature: 'x-atalaya-signature',
} as const;

/** Bytes of a gateway secret (HMAC-SHA256 keys longer than the 32-byte output add nothing, RFC 2104 §3). */
export const SECRET_BYTES = 32;
const NONCE_BYTES = 16;
/** Longest method, path or nonce signed, UTF-16 units: bounds the work an unauthenticated request costs. */
const MAX_FIELD_LENGTH = 2048;
const SIGNATURE = /^[0-9a-f]{64}$/;
const SECRET = /^[A-Za-z0-9_-]{43}$/;

export interface SignedRequest {
  readonly method: string;
  readonly path: string;
  /** Usually ms since the epoch; any safe integer ≥ 0. */
  readonly timestamp: number;
  readonly nonce: string;
  readonly body: Uint8Array;
  /** Never empty: an unknown gateway must not verify against an empty key. */
  readonly secret: Uint8Array;
}

/** Throws ATALAYA_SYNC_INVALID_ARGUMENT for a field that cannot be signed unambiguously. */
export function signRequest(p: SignedRequest): string {
  const problem = fieldProblem(p);
  if (problem !== undefined) throw invalidArgument(problem[0], problem[1]);
  return hmac(p);
}

/** Constant-time comparison; false (never a throw) for a malformed signature or request. */
export function verifyRequest(p: SignedRequest & { readonly signature: string }): boolean {
  try {
    if (typeof p.signature !== 'string' || !SIGNATURE.test(p.signature) || fieldProblem(p) !== undefined) return false;
    return timingSafeEqual(Buffer.from(hmac(p), 'hex'), Buffer.from(p.signature, 'hex'));
  } catch {
    return false;
  }
}

/** 16 random bytes, base64url (22 characters). */
export function newNonce(): string {
  return randomBytes(NONCE_BYTES).toString('base64url');
}

/** 32 random bytes, base64url (43 characters): how a secret is printed and stored. */
export function newGatewaySecret(): string {
  return randomBytes(SECRET_BYTES).toString('base64url');
}

/** The key bytes of a secret from newGatewaySecret; throws ATALAYA_SYNC_INVALID_ARGUMENT (without echoing it) otherwise. */
export function secretBytes(s: string): Buffer {
  const bytes = typeof s === 'string' && SECRET.test(s) ? Buffer.from(s, 'base64url') : undefined;
  // The 43rd character carries 2 spare bits: only one spelling of each key is accepted.
  if (bytes === undefined || bytes.length !== SECRET_BYTES || bytes.toString('base64url') !== s) {
    throw invalidArgument('secret', `expected ${SECRET_BYTES} bytes as 43 base64url characters`);
  }
  return bytes;
}

function hmac(p: SignedRequest): string {
  const bodyHash = createHash('sha256').update(p.body).digest('hex');
  return createHmac('sha256', p.secret).update(`${p.method}\n${p.path}\n${p.timestamp}\n${p.nonce}\n${bodyHash}`, 'utf8').digest('hex');
}

function fieldProblem(p: SignedRequest): [field: string, problem: string] | undefined {
  for (const field of ['method', 'path', 'nonce'] as const) {
    const s = p[field];
    if (typeof s !== 'string' || s.length === 0 || s.length > MAX_FIELD_LENGTH || s.includes('\n')) {
      return [field, `expected 1..${MAX_FIELD_LENGTH} characters without a newline`];
    }
  }
  if (!Number.isSafeInteger(p.timestamp) || p.timestamp < 0) return ['timestamp', 'expected a safe integer ≥ 0'];
  if (!(p.body instanceof Uint8Array)) return ['body', 'expected bytes'];
  if (!(p.secret instanceof Uint8Array) || p.secret.length === 0) return ['secret', 'expected non-empty bytes'];
  return undefined;
}
