import type { ScryptOptions } from 'node:crypto';
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { type ParsedHash, parseHash } from '../../protocols/agent-config/password-hash.ts';
import { readLine } from '../../protocols/read-line.ts';
import { USERNAME_PATTERN } from './acl.ts';

export { HASH_PATTERN, isPasswordHash } from '../../protocols/agent-config/password-hash.ts';

/**
 * Broker passwords are stored as `scrypt$N$r$p$saltB64$hashB64` (RFC 7914 scrypt, node:crypto).
 * N=2^14, r=8, p=1 costs 16 MiB and tens of ms per check on a Raspberry Pi 4: cheap for a CONNECT,
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
 * Stands in for the hash of an unknown user, so that a CONNECT naming one costs the same scrypt
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

export interface CommandIo {
  readonly stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  readonly stdout: { write(chunk: string): unknown };
  readonly stderr: { write(chunk: string): unknown };
}

const PASSWD_HELP = `atalaya agent passwd <user> [--prefix PREFIX]

Reads a password from stdin (first line; pipe it in or type it) and prints a users: entry for the
agent config's mqtt section or its credentialsFile, with the password as a scrypt hash.

Options:
      --prefix PREFIX   mqtt.topicPrefix, for the entry's default ACL (default: atalaya)
  -h, --help            this help
`;

const parsePasswdArgs = (args: string[]) =>
  parseArgs({ args, options: { prefix: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });

/** `atalaya agent passwd <user>`: exit code 0, or 2 on a usage error. The password is never echoed back. */
export async function passwdCommand(argv: string[], io: CommandIo): Promise<number> {
  let parsed: ReturnType<typeof parsePasswdArgs>;
  try {
    parsed = parsePasswdArgs(argv);
  } catch (err) {
    io.stderr.write(`${(err as Error).message}\n${PASSWD_HELP}`);
    return 2;
  }
  if (parsed.values.help === true) {
    io.stdout.write(PASSWD_HELP);
    return 0;
  }
  const [username, ...extra] = parsed.positionals;
  if (username === undefined || extra.length > 0) {
    io.stderr.write(PASSWD_HELP);
    return 2;
  }
  if (!USERNAME_PATTERN.test(username)) {
    io.stderr.write(`user name must be letters, digits, _ . - (1–64, starting with a letter or digit): it is used in topics\n`);
    return 2;
  }
  if (io.stdin.isTTY === true) io.stderr.write(`Password for ${username}: `);
  const password = await readLine(io.stdin);
  if (password.length === 0) {
    io.stderr.write('empty password refused\n');
    return 2;
  }
  const prefix = parsed.values.prefix ?? 'atalaya';
  const entry = { username, password: await hashPassword(password), publish: [`${prefix}/in/%u/#`], subscribe: [] as string[] };
  io.stdout.write(stringify([entry]));
  return 0;
}
