/**
 * Ack links: `<ackLinkBaseUrl>/v1/alerts/ack?t=<token>`, token = base64url(payload) "." base64url(HMAC-SHA256).
 * The payload binds the alert id, the recipient and the expiry; the HMAC key is derived from the
 * relay key (HKDF-SHA256, RFC 5869, info "atalaya alerts ack v1"), so a link works on every relay
 * sharing the key and on no other, and the relay key itself never signs anything outside the relay.
 */
import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import { ALERTS_ACK_TOKEN_EXPIRED, ALERTS_ACK_TOKEN_INVALID, AlertsError } from './errors.ts';

export interface AckClaim {
  readonly alertId: string;
  /** `<group>/<member>` the link was sent to: stored as who acknowledged. */
  readonly recipient: string;
  /** ms since the epoch. */
  readonly expiresAt: number;
}

export function ackKey(relayKey: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', relayKey, Buffer.alloc(0), 'atalaya alerts ack v1', 32));
}

export function signAck(key: Buffer, claim: AckClaim): string {
  const payload = Buffer.from(JSON.stringify({ a: claim.alertId, r: claim.recipient, e: claim.expiresAt }), 'utf8').toString('base64url');
  return `${payload}.${createHmac('sha256', key).update(payload).digest('base64url')}`;
}

/** Throws ALERTS_ACK_TOKEN_INVALID (malformed, bad signature) or ALERTS_ACK_TOKEN_EXPIRED. */
export function verifyAck(key: Buffer, token: string, now: number): AckClaim {
  const m = /^([A-Za-z0-9_-]{1,2048})\.([A-Za-z0-9_-]{43})$/.exec(token);
  if (m === null) throw new AlertsError(ALERTS_ACK_TOKEN_INVALID, 'malformed ack token');
  const [, payload = '', mac = ''] = m;
  const expected = createHmac('sha256', key).update(payload).digest();
  const given = Buffer.from(mac, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    throw new AlertsError(ALERTS_ACK_TOKEN_INVALID, 'ack token signature does not verify');
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch (err) {
    throw new AlertsError(ALERTS_ACK_TOKEN_INVALID, 'ack token payload is not JSON', { cause: err });
  }
  const p = parsed as { a?: unknown; r?: unknown; e?: unknown };
  if (typeof p.a !== 'string' || typeof p.r !== 'string' || typeof p.e !== 'number')
    throw new AlertsError(ALERTS_ACK_TOKEN_INVALID, 'ack token payload incomplete');
  if (now >= p.e) throw new AlertsError(ALERTS_ACK_TOKEN_EXPIRED, 'ack link expired', { details: { expiresAt: p.e } });
  return { alertId: p.a, recipient: p.r, expiresAt: p.e };
}
