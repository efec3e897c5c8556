import type { ScryptOptions } from 'node:crypto';
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { type ParsedHash, parseHash } from '../protocols/agent-config/password-hash.ts';

export { HASH_PATTERN, isPasswordHash } from '../protocols/agent-config/password-hash.ts';

/**
 * Passwords (the agent's MQTT broker users, the relay's users) are stored as `scrypt$N$r$p$saltB64$hashB64` (RFC 7914 scrypt, node:crypto).
 * N=2^14, r=8, p=1 costs 16 MiB and tens of ms per check on a Raspberry Pi 4: cheap for a CONNECT or a sign-in,
 * expensive for an offline guesser with a stolen config.
 */
const COST = { N: 16_384, r: 8, p: 1 } as const;
const SALT_BYTES = 16;
const KEY_BYTES = 32;

function derive(plain: string | Buffer, salt: Buffer, length: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(plain, salt, length, options, (err, key) => (err === null ? resolve(key) : reject(err)));
  });
}

export async function hashPassword(plain: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(plain, salt, KEY_BYTES, { ...COST, maxmem: 256 * COST.N * COST.r });
  return `scrypt$${COST.N}$${COST.r}$${COST.p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

/**
 * Stands in for the hash of an unknown user, so that a CONNECT or sign-in naming one costs the same scrypt
 * work as one naming a real user: no enumeration of user names by response time. Its password is
 * not known to anyone (random bytes, discarded when it was made).
 */
const DUMMY = parseHash('scrypt$16384$8$1$9a4MtVjNy0O0R4eHIksSlw==$k5fCPuiFvCm8rpK2aCMRCfad3HYWnn8a0UbaVU9Sg6s=') as ParsedHash;

/**
 * True when `plain` matches `hash`. With `hash` undefined (unknown user) the dummy hash is checked
 * and false returned. Compared with timingSafeEqual; a malformed hash is false, never a throw.
 */
export async function verifyPassword(plain: string | Buffer, hash: string | undefined): Promise<boolean> {
  const own = hash === undefined ? undefined : parseHash(hash);
  const parsed = own ?? DUMMY;
  const key = await derive(plain, parsed.salt, parsed.key.length, parsed.options);
  return timingSafeEqual(key, parsed.key) && own !== undefined;
}
