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

/** An accepted token as the config lists it: its sha256, or a named one. */
export type ApiTokenEntry = string | { readonly name: string; readonly sha256: string };

/** Who holds a token: its name, or `token-<first 8 hex of its hash>` for an unnamed one. */
export function tokenName(entry: ApiTokenEntry): string {
  return typeof entry === 'string' ? `token-${entry.slice(0, 8)}` : entry.name;
}

function tokenNames(entries: readonly ApiTokenEntry[]): Map<string, string> {
  return new Map(entries.map((e) => [typeof e === 'string' ? e : e.sha256, tokenName(e)]));
}

function bearerHash(request: FastifyRequest): string {
  const header = request.headers.authorization;
  const m = header === undefined ? null : /^Bearer ([\x21-\x7e]{1,512})$/i.exec(header);
  if (m === null) throw unauthenticated('an operator token is required: Authorization: Bearer <token>');
  return hashApiToken(m[1]!);
}

/** A preHandler refusing (401) any request without a bearer token whose sha256 is accepted. */
export function bearerAuth(entries: readonly ApiTokenEntry[]): (request: FastifyRequest) => Promise<void> {
  const accepted = tokenNames(entries);
  return async (request) => {
    if (!accepted.has(bearerHash(request))) throw unauthenticated('unknown operator token');
  };
}

/** The name of the token a request carries (after bearerAuth let it in): who acts, for an audit. */
export function operatorOf(entries: readonly ApiTokenEntry[]): (request: FastifyRequest) => string {
  const names = tokenNames(entries);
  return (request) => {
    const name = names.get(bearerHash(request));
    if (name === undefined) throw unauthenticated('unknown operator token');
    return name;
  };
}
