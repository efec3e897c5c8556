/**
 * Bearer tokens (RFC 6750): config (operator) tokens and per-user API tokens have the same form.
 * Only their sha256 is kept: tokens are 32 random bytes, so a single unsalted sha256 is enough
 * (nothing to brute-force).
 */
import { createHash, randomBytes } from 'node:crypto';

const TOKEN_PREFIX = 'atk_';

export function newApiToken(): string {
  return `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
}

export function hashApiToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}
