/**
 * Operator tokens for the read APIs (RFC 6750 bearer tokens). The config holds only their sha256:
 * a leaked config does not grant access. Tokens are 32 random bytes, so a single unsalted sha256
 * is enough (nothing to brute-force); a lookup by hash leaks, by timing, at most a prefix of a
 * hash, which does not help find a token.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { unauthenticated } from './errors.ts';

const TOKEN_PREFIX = 'atk_';

export function newApiToken(): string {
  return `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
}

export function hashApiToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** A preHandler refusing (401) any request without a bearer token whose sha256 is in `hashes`. */
export function bearerAuth(hashes: readonly string[]): (request: FastifyRequest) => Promise<void> {
  const accepted = new Set(hashes);
  return async (request) => {
    const header = request.headers.authorization;
    const m = header === undefined ? null : /^Bearer ([\x21-\x7e]{1,512})$/i.exec(header);
    if (m === null) throw unauthenticated('an operator token is required: Authorization: Bearer <token>');
    if (!accepted.has(hashApiToken(m[1]!))) throw unauthenticated('unknown operator token');
  };
}
