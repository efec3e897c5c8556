/**
 * Release signatures: ed25519 (RFC 8032, PureEdDSA: node:crypto's sign/verify with a null
 * digest) over the manifest file's bytes, prefixed by a domain tag so that a release key's
 * signature can never be replayed as a signature of anything else. The signature travels detached,
 * base64 (`<manifest>.sig`). The private key lives with whoever builds releases; gateways and the
 * relay hold only public keys (PEM, SPKI).
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject, sign, verify } from 'node:crypto';
import { RELEASE_KEY_INVALID, RELEASE_SIGNATURE_INVALID, ReleaseProtocolError } from './errors.ts';
import { decodeManifest, type ReleaseManifest } from './manifest.ts';

const DOMAIN = Buffer.from('atalaya-release-manifest-v1\n', 'utf8');
/** An ed25519 signature is 64 bytes, 88 base64 characters (RFC 8032 §5.1.6). */
const SIGNATURE_B64 = /^[A-Za-z0-9+/]{86}==$/;

export interface ReleaseKeyPair {
  /** PKCS#8 PEM: keep it off gateways, relays and the repository. */
  readonly privateKeyPem: string;
  /** SPKI PEM: what gateways and the relay trust. */
  readonly publicKeyPem: string;
}

export function generateReleaseKeyPair(): ReleaseKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

function ed25519(make: () => KeyObject, what: 'private' | 'public'): KeyObject {
  let key: KeyObject;
  try {
    key = make();
  } catch (err) {
    throw new ReleaseProtocolError(RELEASE_KEY_INVALID, `release ${what} key: not a PEM key`, { cause: err });
  }
  if (key.asymmetricKeyType !== 'ed25519' || key.type !== what)
    throw new ReleaseProtocolError(RELEASE_KEY_INVALID, `release ${what} key: expected an ed25519 ${what} key`, { details: { type: key.asymmetricKeyType } });
  return key;
}

/** Throws ATALAYA_RELEASE_KEY_INVALID for anything but an ed25519 private key (the message never shows it). */
export function releasePrivateKey(pem: string): KeyObject {
  return ed25519(() => createPrivateKey(pem), 'private');
}

/**
 * Throws ATALAYA_RELEASE_KEY_INVALID for anything but an ed25519 public key, a private key
 * included (node would derive its public half): a private release key on a gateway or a relay is
 * a leak to fix, not a config to accept.
 */
export function releasePublicKey(pem: string): KeyObject {
  if (typeof pem === 'string' && pem.includes('PRIVATE KEY'))
    throw new ReleaseProtocolError(RELEASE_KEY_INVALID, 'release public key: this is a private key; give the public one (atalaya release keygen --public)');
  return ed25519(() => createPublicKey({ key: pem, format: 'pem' }), 'public');
}

/** The detached signature, base64, of a manifest file's bytes. */
export function signManifest(manifestBytes: Uint8Array, privateKey: KeyObject): string {
  return sign(null, Buffer.concat([DOMAIN, manifestBytes]), privateKey).toString('base64');
}

/**
 * The manifest, decoded, when `signature` verifies against one of `trusted`; throws
 * ATALAYA_RELEASE_SIGNATURE_INVALID otherwise (before looking at the content: nothing unsigned is
 * parsed), ATALAYA_RELEASE_MANIFEST_INVALID for a signed manifest of the wrong shape.
 */
export function verifyManifest(manifestBytes: Uint8Array, signature: string, trusted: readonly KeyObject[]): ReleaseManifest {
  const sig = typeof signature === 'string' ? signature.trim() : '';
  const message = Buffer.concat([DOMAIN, manifestBytes]);
  const ok = SIGNATURE_B64.test(sig) && trusted.some((key) => verify(null, message, key, Buffer.from(sig, 'base64')));
  if (!ok) throw new ReleaseProtocolError(RELEASE_SIGNATURE_INVALID, 'release manifest: signature does not verify against any trusted release key');
  return decodeManifest(manifestBytes);
}
