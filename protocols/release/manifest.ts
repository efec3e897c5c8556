/**
 * The signed description of one release tarball (issue 16 §4): what a gateway checks a download
 * against before it unpacks anything. The manifest is JSON; its signature covers the exact bytes
 * of the manifest file as published (signature.ts), so no canonical re-encoding is needed and a
 * manifest is never re-serialised between the signer and the gateway.
 */
import { z } from 'zod';
import { RELEASE_CONTENT_MISMATCH, RELEASE_MANIFEST_INVALID, ReleaseProtocolError } from './errors.ts';

/** A release version as install.sh and the `/opt/atalaya/<version>` layout accept it: no `/`, no leading `.`. */
export const VERSION = /^[0-9A-Za-z][0-9A-Za-z.+_-]{0,63}$/;
const SHA256_HEX = /^[0-9a-f]{64}$/;

export const manifestSchema = z.strictObject({
  version: z.string().regex(VERSION),
  /** The tarball's file name (no directory). */
  file: z.string().regex(/^[0-9A-Za-z][0-9A-Za-z.+_-]{0,199}$/),
  /** Bytes of the tarball. */
  size: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
  /** Lowercase hex SHA-256 (FIPS 180-4) of the tarball. */
  sha256: z.string().regex(SHA256_HEX),
  /** When it was signed, ISO 8601 UTC. */
  created_at: z.iso.datetime(),
});

export type ReleaseManifest = z.output<typeof manifestSchema>;

/** The manifest file's bytes: pretty JSON with a final newline (what `atalaya release sign` writes). */
export function encodeManifest(m: ReleaseManifest): Buffer {
  return Buffer.from(`${JSON.stringify(manifestSchema.parse(m), null, 2)}\n`, 'utf8');
}

/** Throws ATALAYA_RELEASE_MANIFEST_INVALID (with the failing paths in details) for anything else. */
export function decodeManifest(bytes: Uint8Array): ReleaseManifest {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (err) {
    throw new ReleaseProtocolError(RELEASE_MANIFEST_INVALID, 'release manifest: not JSON', { cause: err });
  }
  const parsed = manifestSchema.safeParse(json);
  if (!parsed.success) {
    const paths = parsed.error.issues.map((i) => i.path.join('.') || '(root)');
    throw new ReleaseProtocolError(RELEASE_MANIFEST_INVALID, `release manifest: invalid ${paths.join(', ')}`, { details: { paths } });
  }
  return parsed.data;
}

/** Throws ATALAYA_RELEASE_CONTENT_MISMATCH naming the field (size or sha256) that differs. */
export function checkContent(m: ReleaseManifest, size: number, sha256: string): void {
  if (size !== m.size)
    throw new ReleaseProtocolError(RELEASE_CONTENT_MISMATCH, `release ${m.version}: ${size} bytes, manifest says ${m.size}`, {
      details: { field: 'size', expected: m.size, actual: size },
    });
  if (sha256 !== m.sha256)
    throw new ReleaseProtocolError(RELEASE_CONTENT_MISMATCH, `release ${m.version}: sha256 differs from the manifest`, { details: { field: 'sha256' } });
}
