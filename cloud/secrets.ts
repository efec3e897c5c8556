/**
 * Gateway secrets at rest: AES-256-GCM (NIST SP 800-38D) under the relay key, so a copy of the
 * database alone does not let anyone sign batches as a gateway. Format
 * `v1.<iv>.<tag>.<ciphertext>`, each part base64url; 96-bit random IV (SP 800-38D §8.2.2), 128-bit
 * tag. An optional context (the gateway id) is bound as additional authenticated data, so a
 * ciphertext copied onto another gateway's row does not decrypt.
 *
 * No message or detail of these errors ever carries a secret, a key or a ciphertext.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { isPlatformError, PLATFORM_SECRET_FILE_UNREADABLE } from '../platform/errors.ts';
import { readSecret, type Secret } from '../platform/secrets.ts';
import { AtalayaError } from '../protocols/errors.ts';
import { KEY_INVALID, KEY_MISSING, KEY_UNREADABLE, SECRET_UNDECRYPTABLE, type SecretErrorCode } from './errors.ts';

/** The relay key comes from this variable when set (base64), else from the config's keyFile (platform/secrets.ts). */
export const RELAY_KEY_ENV = 'ATALAYA_RELAY_KEY';
export const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const VERSION = 'v1';

function secretError(code: SecretErrorCode, message: string, details?: Record<string, unknown>): AtalayaError<SecretErrorCode> {
  return new AtalayaError(code, message, details === undefined ? {} : { details });
}

/** A fresh relay key, base64 (what `atalaya relay keygen` prints). */
export function newRelayKey(): string {
  return randomBytes(KEY_BYTES).toString('base64');
}

/** base64 or base64url text of exactly 32 bytes → the key. */
export function parseRelayKey(text: string, source: string): Buffer {
  const trimmed = text.trim();
  const key = /^[A-Za-z0-9+/_-]+={0,2}$/.test(trimmed) ? Buffer.from(trimmed.replace(/-/g, '+').replace(/_/g, '/'), 'base64') : Buffer.alloc(0);
  if (key.length !== KEY_BYTES)
    throw secretError(KEY_INVALID, `${source}: the relay key must be ${KEY_BYTES} bytes, base64 (make one with 'atalaya relay keygen')`, { source });
  return key;
}

export interface RelayKey {
  readonly key: Buffer;
  /** Where it came from, for logs: the variable name or the file path (never the key). */
  readonly source: string;
  /** True when the key file can be read by group or others: worth a warning. */
  readonly looselyPermitted: boolean;
}

/** The relay key from ATALAYA_RELAY_KEY, else `keyFile` (platform/secrets.ts); coded error when neither gives one. */
export function loadRelayKey(keyFile: string | undefined, env: Readonly<Record<string, string | undefined>>): RelayKey {
  let secret: Secret | undefined;
  try {
    secret = readSecret(RELAY_KEY_ENV, keyFile, env);
  } catch (err) {
    if (!isPlatformError(err, PLATFORM_SECRET_FILE_UNREADABLE)) throw err;
    const errno = String(err.details?.['errno']);
    const code = errno === 'ENOENT' ? KEY_MISSING : KEY_UNREADABLE;
    throw new AtalayaError(code, `relay key file ${keyFile}: cannot read (${errno})`, { cause: err, details: { keyFile } });
  }
  if (secret === undefined) {
    throw secretError(KEY_MISSING, `no relay key: set keyFile in the config or ${RELAY_KEY_ENV} (make one with 'atalaya relay keygen')`);
  }
  return { key: parseRelayKey(secret.text, secret.source), source: secret.source, looselyPermitted: secret.looselyPermitted };
}

const b64u = (b: Buffer): string => b.toString('base64url');

/** Encrypt `plain` under `key`; `context` (e.g. the gateway id) must be given again to decrypt. */
export function encryptSecret(plain: string, key: Buffer, context = ''): string {
  if (key.length !== KEY_BYTES) throw secretError(KEY_INVALID, `the relay key must be ${KEY_BYTES} bytes`);
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(context, 'utf8'));
  const ct = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
  return [VERSION, b64u(iv), b64u(cipher.getAuthTag()), b64u(ct)].join('.');
}

/** The plain secret; SECRET_UNDECRYPTABLE for a wrong key, a wrong context or an altered value. */
export function decryptSecret(encrypted: string, key: Buffer, context = ''): string {
  const parts = encrypted.split('.');
  const [version, iv, tag, ct] = parts;
  const undecryptable = (): AtalayaError<SecretErrorCode> =>
    secretError(SECRET_UNDECRYPTABLE, 'a gateway secret does not decrypt with this relay key (wrong key, or the stored value was altered)');
  if (parts.length !== 4 || version !== VERSION || iv === undefined || tag === undefined || ct === undefined) throw undecryptable();
  const ivBytes = Buffer.from(iv, 'base64url');
  const tagBytes = Buffer.from(tag, 'base64url');
  if (ivBytes.length !== IV_BYTES || tagBytes.length !== TAG_BYTES || key.length !== KEY_BYTES) throw undecryptable();
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, ivBytes, { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(tagBytes);
    return Buffer.concat([decipher.update(Buffer.from(ct, 'base64url')), decipher.final()]).toString('utf8');
  } catch {
    throw undecryptable();
  }
}
