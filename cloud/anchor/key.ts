/**
 * The relay's Ethereum signing key: from ATALAYA_ANCHOR_KEY, else anchor.keyFile (the one rule of
 * platform/secrets.ts). It lives only
 * on the relay (never on a gateway) and never reaches a log line or an error message: only its
 * address and where it came from do.
 */
import { Wallet } from 'ethers';
import { isPlatformError, PLATFORM_SECRET_FILE_UNREADABLE } from '../../platform/errors.ts';
import { readSecret, type Secret } from '../../platform/secrets.ts';
import { ATALAYA_ANCHOR_KEY_INVALID, ATALAYA_ANCHOR_KEY_MISSING, anchorError } from './errors.ts';

export const ANCHOR_KEY_ENV = 'ATALAYA_ANCHOR_KEY';

export interface AnchorKey {
  readonly wallet: Wallet;
  readonly address: string;
  /** The variable name or the file path (never the key). */
  readonly source: string;
  /** The key file can be read by group or others: worth a warning. */
  readonly looselyPermitted: boolean;
}

const HEX_KEY = /^(0x)?[0-9a-fA-F]{64}$/;

function parse(text: string, source: string, looselyPermitted: boolean): AnchorKey {
  const trimmed = text.trim();
  if (!HEX_KEY.test(trimmed))
    throw anchorError(ATALAYA_ANCHOR_KEY_INVALID, `${source}: expected a private key of 64 hex digits (0x optional)`, { details: { source } });
  let wallet: Wallet;
  try {
    wallet = new Wallet(trimmed.startsWith('0x') ? trimmed : `0x${trimmed}`);
  } catch {
    // ethers' message may quote the key: no cause is chained.
    throw anchorError(ATALAYA_ANCHOR_KEY_INVALID, `${source}: not a valid secp256k1 private key`, { details: { source } });
  }
  return { wallet, address: wallet.address, source, looselyPermitted };
}

export function loadAnchorKey(keyFile: string | undefined, env: Readonly<Record<string, string | undefined>>): AnchorKey {
  let secret: Secret | undefined;
  try {
    secret = readSecret(ANCHOR_KEY_ENV, keyFile, env);
  } catch (err) {
    if (!isPlatformError(err, PLATFORM_SECRET_FILE_UNREADABLE)) throw err;
    const errno = err.details?.['errno'];
    throw anchorError(ATALAYA_ANCHOR_KEY_INVALID, `anchor.keyFile ${keyFile}: cannot read (${String(errno)})`, { details: { source: keyFile, errno } });
  }
  if (secret === undefined) throw anchorError(ATALAYA_ANCHOR_KEY_MISSING, `no anchoring key: set ${ANCHOR_KEY_ENV} or anchor.keyFile`);
  return parse(secret.text, secret.source, secret.looselyPermitted);
}
