/**
 * The checks every gateway-signed request passes (POST /v1/ingest, POST /v1/fleet/poll), in cost
 * order (cloud/README.md "Ingest"): the signature headers' shape, the HMAC with the gateway's
 * secret, then the timestamp window; the nonce's novelty is a separate step (claimFreshNonce),
 * a write, which each route runs once it has bounded the body's cost.
 */
import type { Clock } from '../../protocols/clock.ts';
import { verifyRequest } from '../../protocols/sync/signature.ts';
import type { RelayStore } from '../store/types.ts';
import { refuse } from './errors.ts';
import type { GatewaySecrets } from './gateway-secrets.ts';
import { type Claimed, claimedIdentity, type RequestHeaders } from './headers.ts';

export interface SignedRequestChecks {
  readonly secrets: GatewaySecrets;
  readonly store: Pick<RelayStore, 'claimNonce'>;
  readonly clock: Clock;
  /** Largest |relay clock − request timestamp|, ms; nonces are remembered this long past their timestamp. */
  readonly skewMs: number;
}

export interface Authenticated {
  readonly gateway: string;
  readonly claimed: Claimed;
  /** The gateway's HMAC key: what signs the relay's answer to it. */
  readonly secret: Buffer;
  /** Relay clock when the request was checked, ms. */
  readonly now: number;
}

/** Signature then freshness of a request to `path`; throws IngestRefused (unauthenticated, stale). */
export async function authenticate(checks: SignedRequestChecks, path: string, headers: RequestHeaders, body: Buffer): Promise<Authenticated> {
  const claimed = claimedIdentity(headers);
  const secret = await checks.secrets.get(claimed.gateway);
  // Unknown gateway and bad signature answer alike: no probing for registered ids.
  const valid =
    secret !== undefined &&
    verifyRequest({ method: 'POST', path, timestamp: claimed.timestamp, nonce: claimed.nonce, body, secret, signature: claimed.signature });
  if (!valid) throw refuse('unauthenticated', 'authentication failed', { gateway: claimed.gateway });
  const gateway = claimed.gateway;
  const now = checks.clock.now();
  if (Math.abs(now - claimed.timestamp) > checks.skewMs) {
    throw refuse('stale', `timestamp is ${now - claimed.timestamp} ms from the relay clock (allowed ±${checks.skewMs} ms)`, { gateway });
  }
  return { gateway, claimed, secret, now };
}

/** Records the nonce (remembered until the timestamp leaves the window); throws IngestRefused replayed when seen before. */
export async function claimFreshNonce(checks: SignedRequestChecks, a: Authenticated): Promise<void> {
  // After the window the stale check refuses a replay.
  if (!(await checks.store.claimNonce(a.gateway, a.claimed.nonce, a.claimed.timestamp + checks.skewMs, a.now))) {
    throw refuse('replayed', 'nonce already used', { gateway: a.gateway });
  }
}
