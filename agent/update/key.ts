import type { KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isReleaseProtocolError, releasePublicKey } from '../../protocols/release/index.ts';
import { UPDATE_KEY_UNREADABLE, UpdateError } from './errors.ts';

/** update.publicKey: the PEM itself, or a file holding it. Throws ATALAYA_UPDATE_KEY_UNREADABLE (cause chained). */
export function loadReleasePublicKey(publicKey: string): KeyObject {
  const inline = publicKey.includes('-----BEGIN');
  let pem = publicKey;
  if (!inline) {
    try {
      pem = readFileSync(publicKey, 'utf8');
    } catch (err) {
      throw new UpdateError(UPDATE_KEY_UNREADABLE, `update.publicKey: cannot read ${publicKey}`, { cause: err, details: { file: publicKey } });
    }
  }
  try {
    return releasePublicKey(pem);
  } catch (err) {
    if (!isReleaseProtocolError(err)) throw err;
    throw new UpdateError(UPDATE_KEY_UNREADABLE, `update.publicKey: ${err.message}`, { cause: err, details: inline ? {} : { file: publicKey } });
  }
}
