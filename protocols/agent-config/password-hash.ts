import type { ScryptOptions } from 'node:crypto';

/**
 * Broker passwords are stored as `scrypt$N$r$p$saltB64$hashB64` (RFC 7914 scrypt): parsing and
 * bounds only, so the relay can validate a gateway's config (platform/passwords.ts hashes and checks).
 */
/** Hashes from a config are checked before use: N a power of two in 2^10..2^20, r 1..32, p 1..16. */
export const HASH_PATTERN = /^scrypt\$(\d{1,8})\$(\d{1,2})\$(\d{1,2})\$([A-Za-z0-9+/]{16,}={0,2})\$([A-Za-z0-9+/]{16,}={0,2})$/;

export interface ParsedHash {
  readonly options: ScryptOptions;
  readonly salt: Buffer;
  readonly key: Buffer;
}

export function parseHash(hash: string): ParsedHash | undefined {
  const m = HASH_PATTERN.exec(hash);
  if (m === null) return undefined;
  const N = Number(m[1]);
  const r = Number(m[2]);
  const p = Number(m[3]);
  if (N < 1024 || N > 1_048_576 || (N & (N - 1)) !== 0 || r < 1 || r > 32 || p < 1 || p > 16) return undefined;
  // scrypt needs 128·N·r bytes; node's default maxmem (32 MiB) would refuse the larger allowed costs.
  return { options: { N, r, p, maxmem: 256 * N * r }, salt: Buffer.from(m[4] as string, 'base64'), key: Buffer.from(m[5] as string, 'base64') };
}

export function isPasswordHash(value: string): boolean {
  return parseHash(value) !== undefined;
}
