/**
 * Short-lived signed tarball URLs. The fleet answer (itself signed for the gateway and bound to
 * its request's nonce) carries `/v1/releases/<version>/tarball?gateway=…&expires=…&sig=…`, with
 * sig = HMAC-SHA256 keyed with the relay key over `RELEASE-URL\n<version>\n<gateway>\n<expires>`.
 *
 * Why a signed URL and not the signed-request headers on every GET: a resumed download is many
 * plain GETs with a Range header (one per cut), each would burn a nonce and need the gateway's
 * secret decrypted per request; the URL is checked with one HMAC, works with any HTTP client, and
 * is bound to one gateway and one version for a bounded time. The tarball is not secret (its
 * integrity comes from the release signature, checked on the gateway); the URL only keeps the
 * relay from serving releases to anyone who asks.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export interface UrlClaim {
  readonly version: string;
  readonly gateway: string;
  /** ms since the epoch. */
  readonly expires: number;
}

function mac(key: Uint8Array, c: UrlClaim): string {
  return createHmac('sha256', key).update(`RELEASE-URL\n${c.version}\n${c.gateway}\n${c.expires}`, 'utf8').digest('hex');
}

export function signedTarballPath(key: Uint8Array, c: UrlClaim): string {
  const q = new URLSearchParams({ gateway: c.gateway, expires: String(c.expires), sig: mac(key, c) });
  return `/v1/releases/${encodeURIComponent(c.version)}/tarball?${q.toString()}`;
}

/** 'ok', 'expired' or 'invalid' (never a throw). */
export function checkTarballUrl(key: Uint8Array, c: UrlClaim, sig: string, now: number): 'ok' | 'expired' | 'invalid' {
  if (!/^[0-9a-f]{64}$/.test(sig) || !Number.isSafeInteger(c.expires) || c.gateway.includes('\n') || c.version.includes('\n')) return 'invalid';
  if (!timingSafeEqual(Buffer.from(mac(key, c), 'hex'), Buffer.from(sig, 'hex'))) return 'invalid';
  return now > c.expires ? 'expired' : 'ok';
}
