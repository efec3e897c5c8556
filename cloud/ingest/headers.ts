/**
 * The signature headers of an ingest request (protocols/sync/signature.ts), checked for shape
 * before any lookup: bounded lengths keep an anonymous request's cost (and the nonce index) small.
 */
import { SIGNATURE_HEADERS } from '../../protocols/sync/signature.ts';
import { refuse } from './errors.ts';
import { GATEWAY_ID_PATTERN } from './gateway-secrets.ts';

export type RequestHeaders = Readonly<Record<string, string | string[] | undefined>>;

/** Decimal ms since the epoch, as signed. */
const TIMESTAMP = /^\d{1,15}$/;
/** Printable ASCII without spaces (newNonce makes 22 base64url characters): at least 16, at most 128. */
const NONCE = /^[\x21-\x7e]{16,128}$/;
const SIGNATURE = /^[\x21-\x7e]{1,256}$/;

export interface Claimed {
  readonly gateway: string;
  readonly timestamp: number;
  readonly nonce: string;
  readonly signature: string;
}

function header(headers: RequestHeaders, name: string, pattern: RegExp): string | undefined {
  const v = headers[name];
  return typeof v === 'string' && pattern.test(v) ? v : undefined;
}

/** The four signature headers, each well formed, or an unauthenticated refusal. */
export function claimedIdentity(headers: RequestHeaders): Claimed {
  const gateway = header(headers, SIGNATURE_HEADERS.gateway, GATEWAY_ID_PATTERN);
  const timestamp = header(headers, SIGNATURE_HEADERS.timestamp, TIMESTAMP);
  const nonce = header(headers, SIGNATURE_HEADERS.nonce, NONCE);
  const signature = header(headers, SIGNATURE_HEADERS.signature, SIGNATURE);
  if (gateway === undefined || timestamp === undefined || nonce === undefined || signature === undefined) {
    const missing = Object.values(SIGNATURE_HEADERS).filter((h) => header(headers, h, /^/) === undefined);
    throw refuse('unauthenticated', missing.length > 0 ? `missing ${missing.join(', ')}` : 'malformed signature headers');
  }
  return { gateway, timestamp: Number(timestamp), nonce, signature };
}
