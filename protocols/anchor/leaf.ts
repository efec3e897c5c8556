/**
 * What a Merkle leaf is for a record: its canonical encoding (protocols/sync/canonical.ts), byte
 * for byte, so the relay's idempotency identity and the anchored leaf are one definition.
 *
 * Versioning: the encoding already starts with its version as the first array element (`[1,…`),
 * and a future layout must start `[2,…`; leaf bytes of different versions therefore never
 * coincide, and a verifier can tell which layout to rebuild from the leaf itself. No extra
 * version byte is added.
 *
 * The leaf hash is SHA-256(0x00 ‖ canonical bytes) (RFC 6962 §2.1), not the stored recordHash
 * (SHA-256 of the bytes alone): the leaf needs the record, not just its recordHash.
 */
import type { StoredRecord } from '../records.ts';
import { CANONICAL_VERSION, canonicalRecord } from '../sync/canonical.ts';
import { leafHash } from './hash.ts';

/** The canonical layout the leaves of this code are built from. */
export const LEAF_VERSION = CANONICAL_VERSION;

/** Throws ATALAYA_SYNC_MALFORMED (protocols/sync/errors.ts) for a record the layout cannot write. */
export function leafBytes(gateway: string, record: StoredRecord): Buffer {
  return canonicalRecord(gateway, record);
}

export function recordLeafHash(gateway: string, record: StoredRecord): Buffer {
  return leafHash(canonicalRecord(gateway, record));
}
