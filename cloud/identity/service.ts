/**
 * Who a request is (issue 15 §2–4): config (operator) tokens, per-user API tokens and dashboard
 * sessions, each resolved to a Principal. Nothing is cached: every request reads its session or
 * token with its user's current state, so a disabled user or a revoked token stops at once.
 * Secrets are kept only as sha256 (session ids, tokens) or scrypt (passwords).
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { verifyPassword } from '../../platform/passwords.ts';
import type { Clock } from '../../protocols/clock.ts';
import type { CredentialOwner, IdentityStore, UserRow } from '../store/identity-types.ts';
import type { Auditor } from './audit.ts';
import type { IdentityOptions } from './config.ts';
import { IDENTITY_BAD_CREDENTIALS, IDENTITY_LOCKED, IDENTITY_RATE_LIMITED, IDENTITY_UNAUTHENTICATED, identityError } from './errors.ts';
import { IpLimiter } from './ip-limiter.ts';
import type { Principal } from './principal.ts';

export const sha256Hex = (s: string): string => createHash('sha256').update(s, 'utf8').digest('hex');

/** The CSRF token of a session: derived from its id (so tied to it), useless without the HttpOnly cookie. */
export function csrfTokenOf(sessionId: string): string {
  return createHash('sha256').update(`atalaya-csrf\0${sessionId}`, 'utf8').digest('base64url');
}

export interface SignedIn {
  /** The cookie's value: shown to the browser once, only its sha256 is stored. */
  readonly sessionId: string;
  readonly csrfToken: string;
  readonly expiresAt: number;
  /** The cookie's Max-Age, s. */
  readonly maxAgeS: number;
  readonly principal: Principal;
}

export interface IdentityServiceOptions {
  readonly store: IdentityStore;
  readonly auditor: Auditor;
  /** The config's operator tokens: sha256 → name. They act as the platform owner. */
  readonly operatorTokens: ReadonlyMap<string, string>;
  readonly options: IdentityOptions;
  readonly clock: Clock;
  readonly logger: Logger;
}

function userPrincipal(kind: 'session' | 'token', owner: CredentialOwner): Principal {
  const { user } = owner;
  return { kind, name: user.name, userId: user.id, orgId: user.orgId, role: owner.tokenRole ?? user.role };
}

export class IdentityService {
  private readonly ipLimiter: IpLimiter;
  private readonly logger: Logger;

  constructor(private readonly o: IdentityServiceOptions) {
    this.ipLimiter = new IpLimiter(o.clock, o.options.ipAttempts, o.options.ipWindowMs);
    this.logger = o.logger.child({ component: 'identity' });
  }

  /** The principal of a bearer token (given as its sha256): a config token, else a live user token. */
  async bearer(tokenSha256: string): Promise<Principal> {
    const operator = this.o.operatorTokens.get(tokenSha256);
    if (operator !== undefined) return { kind: 'operator', name: operator, userId: null, orgId: null, role: 'owner' };
    const owner = await this.o.store.tokenOwner(tokenSha256);
    if (owner === undefined || owner.user.disabled || owner.tokenId === undefined) throw identityError(IDENTITY_UNAUTHENTICATED, 'unknown or revoked token');
    await this.o.store.touchToken(owner.tokenId, this.o.clock.now());
    return userPrincipal('token', owner);
  }

  /** The principal of a session cookie's id; an expired, idle or disabled user's session is refused. */
  async session(sessionId: string): Promise<Principal> {
    const hash = sha256Hex(sessionId);
    const owner = await this.o.store.sessionOwner(hash);
    const now = this.o.clock.now();
    if (owner === undefined || owner.user.disabled) throw identityError(IDENTITY_UNAUTHENTICATED, 'not signed in');
    if ((owner.expiresAt ?? 0) <= now || now - (owner.lastSeenAt ?? 0) >= this.o.options.idleTimeoutMs) {
      await this.o.store.deleteSession(hash);
      throw identityError(IDENTITY_UNAUTHENTICATED, 'the session has ended: sign in again');
    }
    // One write a minute at most: enough for an idle timeout counted in minutes.
    if (now - (owner.lastSeenAt ?? 0) >= 60_000) await this.o.store.touchSession(hash, now);
    return userPrincipal('session', owner);
  }

  /**
   * Sign-in: per-address limit (429), then the user's lockout (423), then the password. An unknown
   * user costs the same scrypt work as a known one (platform/passwords.ts' dummy hash).
   */
  async login(name: string, password: string, ip: string): Promise<SignedIn> {
    const { store, clock, options } = this.o;
    const wait = this.ipLimiter.take(ip);
    if (wait > 0) throw identityError(IDENTITY_RATE_LIMITED, `too many sign-in attempts from this address: try again in ${wait} s`, { retryAfterS: wait });
    const user = await store.userByName(name);
    const now = clock.now();
    if (user !== undefined && user.lockedUntil !== null && user.lockedUntil > now) throw this.locked(user.lockedUntil - now);
    const ok = await verifyPassword(password, user?.passwordHash);
    if (user === undefined || !ok || user.disabled) {
      if (user !== undefined && !ok) await this.failed(user, now);
      this.logger.info({ ip, user: name.slice(0, 64), known: user !== undefined }, 'sign-in refused');
      throw identityError(IDENTITY_BAD_CREDENTIALS, 'wrong user name or password');
    }
    await store.clearFailures(user.id, now);
    const sessionId = randomBytes(32).toString('base64url');
    const expiresAt = now + options.sessionTtlMs;
    await store.insertSession(sha256Hex(sessionId), user.id, now, expiresAt);
    const principal = userPrincipal('session', { user });
    await this.o.auditor.record(principal, 'session.login', user.name, { ip });
    return { sessionId, csrfToken: csrfTokenOf(sessionId), expiresAt, maxAgeS: Math.floor(options.sessionTtlMs / 1000), principal };
  }

  async logout(sessionId: string): Promise<void> {
    await this.o.store.deleteSession(sha256Hex(sessionId));
  }

  private async failed(user: UserRow, now: number): Promise<void> {
    const { maxFailures, lockoutMs } = this.o.options;
    const count = await this.o.store.recordFailure(user.id, maxFailures, now + lockoutMs, now);
    if (count === maxFailures) {
      this.logger.warn({ user: user.name, failures: count, lockedForS: lockoutMs / 1000 }, 'user locked after failed sign-ins');
      const by: Principal = { kind: 'session', name: user.name, userId: user.id, orgId: user.orgId, role: user.role };
      await this.o.auditor.record(by, 'user.locked', user.name, { failures: count, lockedUntil: new Date(now + lockoutMs).toISOString() });
      throw this.locked(lockoutMs);
    }
  }

  private locked(ms: number) {
    const s = Math.max(1, Math.ceil(ms / 1000));
    return identityError(IDENTITY_LOCKED, `too many wrong passwords: this user is locked for ${Math.ceil(s / 60)} min`, { retryAfterS: s });
  }
}
