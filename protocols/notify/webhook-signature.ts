/**
 * Signing of Atalaya's generic webhooks, and the check a receiver runs (our tests, the bench
 * simulator, users' own receivers: docs in platform/notify/README.md).
 *
 * String to sign: `${timestamp}.${body}`, the timestamp a decimal integer (ms since the epoch) and
 * the body the exact bytes sent; the signature is HMAC-SHA256 (RFC 2104, FIPS 180-4) keyed with the
 * shared secret's UTF-8 bytes, lowercase hex, sent as `X-Atalaya-Signature: v1=<hex>`. Several
 * comma-separated `v1=` values may be sent while a secret is rotated; one match is enough. The
 * timestamp bounds replays; the `Idempotency-Key` header (the Notification's key) lets the
 * receiver drop a resend of a message it already has.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { invalidArgument } from './errors.ts';

export const WEBHOOK_HEADERS = {
  timestamp: 'x-atalaya-timestamp',
  signature: 'x-atalaya-signature',
  event: 'x-atalaya-event',
  idempotencyKey: 'idempotency-key',
} as const;

export const SIGNATURE_VERSION = 'v1';
/** How far a timestamp may be from the receiver's clock by default, ms (5 minutes, either way). */
export const DEFAULT_TOLERANCE_MS = 300_000;
const HEX = /^[0-9a-f]{64}$/;
const TIMESTAMP = /^\d{1,16}$/;

const bytes = (body: string | Uint8Array): Buffer =>
  typeof body === 'string' ? Buffer.from(body, 'utf8') : Buffer.from(body.buffer, body.byteOffset, body.byteLength);

/** `${timestamp}.` followed by the body's bytes. */
export function signingBytes(timestamp: number, body: string | Uint8Array): Buffer {
  return Buffer.concat([Buffer.from(`${timestamp}.`, 'utf8'), bytes(body)]);
}

/** `v1=<hex>`; throws ATALAYA_NOTIFY_INVALID_ARGUMENT for an empty secret or a timestamp that is not a safe integer ≥ 0. */
export function signWebhook(secret: string, timestamp: number, body: string | Uint8Array): string {
  if (typeof secret !== 'string' || secret.length === 0) throw invalidArgument('secret', 'expected a non-empty string');
  if (!Number.isSafeInteger(timestamp) || timestamp < 0) throw invalidArgument('timestamp', 'expected a safe integer ≥ 0');
  return `${SIGNATURE_VERSION}=${createHmac('sha256', secret).update(signingBytes(timestamp, body)).digest('hex')}`;
}

/** The headers of one webhook request: the idempotency key always, timestamp and signature when a secret is given. */
export function webhookHeaders(p: {
  readonly key: string;
  readonly eventId: string;
  readonly timestamp: number;
  readonly body: string | Uint8Array;
  readonly secret?: string | undefined;
}): Record<string, string> {
  const headers: Record<string, string> = { [WEBHOOK_HEADERS.idempotencyKey]: p.key, [WEBHOOK_HEADERS.event]: p.eventId };
  if (p.secret !== undefined) {
    headers[WEBHOOK_HEADERS.timestamp] = String(p.timestamp);
    headers[WEBHOOK_HEADERS.signature] = signWebhook(p.secret, p.timestamp, p.body);
  }
  return headers;
}

export type WebhookVerdict =
  | { readonly ok: true; readonly timestamp: number }
  | { readonly ok: false; readonly reason: 'missing' | 'malformed' | 'stale' | 'mismatch' };

export interface WebhookCheck {
  readonly secret: string;
  /** The raw body bytes as received (not re-serialised JSON). */
  readonly body: string | Uint8Array;
  /** The X-Atalaya-Timestamp header's value. */
  readonly timestamp: string | undefined;
  /** The X-Atalaya-Signature header's value. */
  readonly signature: string | undefined;
  /** The receiver's clock, ms since the epoch. */
  readonly now: number;
  /** Default DEFAULT_TOLERANCE_MS. */
  readonly toleranceMs?: number;
}

/** Never throws; constant-time comparison of each offered `v1=` signature. */
export function verifyWebhook(c: WebhookCheck): WebhookVerdict {
  if (c.timestamp === undefined || c.signature === undefined) return { ok: false, reason: 'missing' };
  if (typeof c.secret !== 'string' || c.secret.length === 0 || !TIMESTAMP.test(c.timestamp)) return { ok: false, reason: 'malformed' };
  const timestamp = Number(c.timestamp);
  const offered = c.signature
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.startsWith(`${SIGNATURE_VERSION}=`))
    .map((s) => s.slice(SIGNATURE_VERSION.length + 1));
  if (offered.length === 0 || offered.some((s) => !HEX.test(s))) return { ok: false, reason: 'malformed' };
  if (Math.abs(c.now - timestamp) > (c.toleranceMs ?? DEFAULT_TOLERANCE_MS)) return { ok: false, reason: 'stale' };
  const expected = Buffer.from(signWebhook(c.secret, timestamp, c.body).slice(SIGNATURE_VERSION.length + 1), 'hex');
  let match = false;
  for (const s of offered) match = timingSafeEqual(expected, Buffer.from(s, 'hex')) || match;
  return match ? { ok: true, timestamp } : { ok: false, reason: 'mismatch' };
}
