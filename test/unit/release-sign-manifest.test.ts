/** Issue 16 §4: release manifests, their ed25519 signatures, and who a rollout reaches. */
import { describe, expect, it } from 'vitest';
import {
  canaryBucket,
  checkContent,
  decodeManifest,
  desiredVersion,
  encodeManifest,
  generateReleaseKeyPair,
  isReleaseProtocolError,
  RELEASE_CONTENT_MISMATCH,
  RELEASE_KEY_INVALID,
  RELEASE_MANIFEST_INVALID,
  RELEASE_SIGNATURE_INVALID,
  type ReleaseManifest,
  type Rollout,
  releasePrivateKey,
  releasePublicKey,
  signManifest,
  verifyManifest,
} from '../../protocols/release/index.ts';

const manifest: ReleaseManifest = {
  version: '0.1.1',
  file: 'atalaya-0.1.1-linux-arm64.tar.gz',
  size: 1234,
  sha256: 'a'.repeat(64),
  created_at: '2026-12-07T22:00:00.000Z',
};

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return isReleaseProtocolError(err) ? err.code : `not coded: ${String(err)}`;
  }
  return undefined;
}

describe('release signature', () => {
  const keys = generateReleaseKeyPair();
  const other = generateReleaseKeyPair();
  const bytes = encodeManifest(manifest);
  const signature = signManifest(bytes, releasePrivateKey(keys.privateKeyPem));

  it('verifies against the matching public key, among others', () => {
    expect(verifyManifest(bytes, signature, [releasePublicKey(other.publicKeyPem), releasePublicKey(keys.publicKeyPem)])).toEqual(manifest);
    // A trailing newline in the .sig file is what editors and echo leave.
    expect(verifyManifest(bytes, `${signature}\n`, [releasePublicKey(keys.publicKeyPem)]).version).toBe('0.1.1');
  });

  it('refuses another key, a changed byte, a truncated or malformed signature', () => {
    const pub = [releasePublicKey(keys.publicKeyPem)];
    expect(codeOf(() => verifyManifest(bytes, signature, [releasePublicKey(other.publicKeyPem)]))).toBe(RELEASE_SIGNATURE_INVALID);
    const changed = Buffer.from(bytes);
    changed[changed.indexOf('1234')] = '9'.charCodeAt(0);
    expect(codeOf(() => verifyManifest(changed, signature, pub))).toBe(RELEASE_SIGNATURE_INVALID);
    expect(codeOf(() => verifyManifest(bytes, signature.slice(0, 40), pub))).toBe(RELEASE_SIGNATURE_INVALID);
    expect(codeOf(() => verifyManifest(bytes, '', pub))).toBe(RELEASE_SIGNATURE_INVALID);
    expect(codeOf(() => verifyManifest(bytes, signature, []))).toBe(RELEASE_SIGNATURE_INVALID);
  });

  it('is bound to the release domain: a plain ed25519 signature of the same bytes does not verify', async () => {
    const { sign } = await import('node:crypto');
    const plain = sign(null, bytes, releasePrivateKey(keys.privateKeyPem)).toString('base64');
    expect(codeOf(() => verifyManifest(bytes, plain, [releasePublicKey(keys.publicKeyPem)]))).toBe(RELEASE_SIGNATURE_INVALID);
  });

  it('takes only ed25519 keys of the right kind', async () => {
    const { generateKeyPairSync } = await import('node:crypto');
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    expect(codeOf(() => releasePublicKey(ec.publicKey.export({ type: 'spki', format: 'pem' }).toString()))).toBe(RELEASE_KEY_INVALID);
    expect(codeOf(() => releasePrivateKey(keys.publicKeyPem))).toBe(RELEASE_KEY_INVALID);
    expect(codeOf(() => releasePublicKey('not a key'))).toBe(RELEASE_KEY_INVALID);
  });

  it('signs the manifest as published: a signed manifest of the wrong shape is refused by its paths', () => {
    const bad = Buffer.from(JSON.stringify({ ...manifest, version: '../etc', extra: 1 }));
    const sig = signManifest(bad, releasePrivateKey(keys.privateKeyPem));
    let details: unknown;
    try {
      verifyManifest(bad, sig, [releasePublicKey(keys.publicKeyPem)]);
    } catch (err) {
      expect(isReleaseProtocolError(err, RELEASE_MANIFEST_INVALID)).toBe(true);
      details = (err as { details?: unknown }).details;
    }
    expect(details).toEqual({ paths: expect.arrayContaining(['version', '(root)']) });
    expect(codeOf(() => decodeManifest(Buffer.from('{')))).toBe(RELEASE_MANIFEST_INVALID);
  });
});

describe('release content', () => {
  it('matches size and sha256, naming the field that differs', () => {
    expect(codeOf(() => checkContent(manifest, 1234, 'a'.repeat(64)))).toBeUndefined();
    expect(codeOf(() => checkContent(manifest, 617, 'a'.repeat(64)))).toBe(RELEASE_CONTENT_MISMATCH);
    expect(codeOf(() => checkContent(manifest, 1234, 'b'.repeat(64)))).toBe(RELEASE_CONTENT_MISMATCH);
  });
});

describe('rollout', () => {
  const ids = Array.from({ length: 1000 }, (_, i) => `gw-${i}`);
  const all = (id: number, version: string, percent: number): Rollout => ({ id, version, target: { kind: 'all' }, percent });

  it('puts about the canary percentage of gateways first, the same ones every time, and only adds as it widens', () => {
    const at10 = ids.filter((g) => desiredVersion(g, new Set(), [all(1, '2.0.0', 10)]) === '2.0.0');
    expect(at10.length).toBeGreaterThan(60);
    expect(at10.length).toBeLessThan(140);
    const at50 = ids.filter((g) => desiredVersion(g, new Set(), [all(1, '2.0.0', 10), all(2, '2.0.0', 50)]) === '2.0.0');
    expect(at50).toEqual(expect.arrayContaining(at10));
    expect(ids.every((g) => canaryBucket(g) === canaryBucket(`${g}`) && canaryBucket(g) >= 0 && canaryBucket(g) < 100)).toBe(true);
  });

  it('outside the newest canary, a gateway keeps the previous rollout', () => {
    const outside = ids.find((g) => canaryBucket(g) >= 10)!;
    expect(desiredVersion(outside, new Set(), [all(1, '1.0.0', 100), all(2, '2.0.0', 10)])).toBe('1.0.0');
  });

  it('a gateway rollout beats a group rollout, which beats one for all', () => {
    const rollouts: Rollout[] = [
      all(3, '3.0.0', 100),
      { id: 2, version: '2.0.0', target: { kind: 'group', id: 'north' }, percent: 100 },
      { id: 1, version: '1.5.0', target: { kind: 'gateway', id: 'gw-1' }, percent: 100 },
    ];
    expect(desiredVersion('gw-1', new Set(['north']), rollouts)).toBe('1.5.0');
    expect(desiredVersion('gw-2', new Set(['north']), rollouts)).toBe('2.0.0');
    expect(desiredVersion('gw-3', new Set(), rollouts)).toBe('3.0.0');
    expect(desiredVersion('gw-3', new Set(), [])).toBeUndefined();
  });
});
