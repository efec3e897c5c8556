/**
 * Access tokens of the status page. The config holds only their sha256, so a leaked config or
 * support bundle grants nothing; tokens are 32 random bytes, so one unsalted sha256 is enough and
 * a lookup in a set of hashes needs no constant-time compare (nothing to brute-force).
 * A browser carries the token in an HttpOnly, SameSite=Strict cookie (EventSource cannot send
 * headers); scripts and Prometheus send `Authorization: Bearer` (RFC 6750 §2.1).
 */
import { createHash, randomBytes } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { AtalayaError } from '../../protocols/errors.ts';
import { STATUS_TOKENS_INVALID, unauthenticated } from './errors.ts';
import { STATUS_TOKENS_ENV } from './schema.ts';

export const COOKIE_NAME = 'atalaya_status';
const TOKEN_PREFIX = 'ats_';
/** RFC 6265 §4.1.1 cookie-octet: what a cookie value can carry without quoting. */
const COOKIE_OCTETS = /^[\x21\x23-\x2b\x2d-\x3a\x3c-\x5b\x5d-\x7e]{1,512}$/;

export function newStatusToken(): string {
  return `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
}

export function hashStatusToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** A token a cookie can carry as is (what login sets); tokens from newStatusToken always are. */
export function cookieSafe(token: string): boolean {
  return COOKIE_OCTETS.test(token);
}

/** The configured hashes plus those in ATALAYA_STATUS_TOKENS; throws STATUS_TOKENS_INVALID on a malformed entry. */
export function statusTokenHashes(configured: readonly string[], env: Readonly<Record<string, string | undefined>>): string[] {
  const fromEnv = (env[STATUS_TOKENS_ENV] ?? '')
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t !== '');
  const bad = fromEnv.findIndex((t) => !/^[0-9a-f]{64}$/.test(t));
  if (bad >= 0) {
    throw new AtalayaError(STATUS_TOKENS_INVALID, `${STATUS_TOKENS_ENV}[${bad}]: the sha256 of a token, 64 lowercase hex digits (atalaya agent token add)`, {
      details: { index: bad },
    });
  }
  return [...new Set([...configured, ...fromEnv])];
}

/** Value of cookie `name` in a Cookie header (RFC 6265 §5.4: `name=value` pairs joined by "; "). */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  for (const pair of header.split(';')) {
    const eq = pair.indexOf('=');
    if (eq < 0 || pair.slice(0, eq).trim() !== name) continue;
    const value = pair.slice(eq + 1).trim();
    return value.startsWith('"') && value.endsWith('"') && value.length >= 2 ? value.slice(1, -1) : value;
  }
  return undefined;
}

/** The token a request presents: the bearer header wins over the cookie. */
export function presentedToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (header !== undefined) {
    const m = /^Bearer ([\x21-\x7e]{1,512})$/i.exec(header);
    return m?.[1];
  }
  return cookieValue(request.headers.cookie, COOKIE_NAME);
}

export class TokenSet {
  private readonly hashes: ReadonlySet<string>;

  constructor(hashes: readonly string[]) {
    this.hashes = new Set(hashes);
  }

  accepts(token: string | undefined): boolean {
    return token !== undefined && token !== '' && this.hashes.has(hashStatusToken(token));
  }

  /** Throws a 401 unless the request carries an accepted token. */
  check(request: FastifyRequest): void {
    const token = presentedToken(request);
    if (token === undefined) throw unauthenticated('a status token is required: log in, or send Authorization: Bearer <token>');
    if (!this.accepts(token))
      throw unauthenticated(this.hashes.size === 0 ? 'no status token is configured on this gateway (status.tokens)' : 'unknown status token');
  }
}

export function loginCookie(token: string): string {
  return `${COOKIE_NAME}=${token}; HttpOnly; SameSite=Strict; Path=/`;
}

export function logoutCookie(): string {
  return `${COOKIE_NAME}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0`;
}
