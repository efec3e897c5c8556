import type { KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { releasePublicKey } from '../../protocols/release/index.ts';
import { RELEASES_KEY_UNREADABLE, ReleasesError } from './errors.ts';

/** releases.publicKeys: each a PEM or a file holding one. Throws ATALAYA_RELEASES_KEY_UNREADABLE naming the index. */
export function loadReleaseKeys(entries: readonly string[]): KeyObject[] {
  return entries.map((entry, i) => {
    try {
      return releasePublicKey(entry.includes('-----BEGIN') ? entry : readFileSync(entry, 'utf8'));
    } catch (err) {
      throw new ReleasesError(RELEASES_KEY_UNREADABLE, `releases.publicKeys[${i}]: not a readable ed25519 public key`, { cause: err, details: { index: i } });
    }
  });
}
