import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ATALAYA_SYNC_INVALID_ARGUMENT, isSyncError } from '../../protocols/sync/errors.ts';
import { newGatewaySecret, newNonce, SIGNATURE_HEADERS, secretBytes, signRequest, verifyRequest } from '../../protocols/sync/signature.ts';

/** Key bytes 0x00..0x1f, as RFC 4231 test vectors use sequential keys. */
const secret = Buffer.from(Array.from({ length: 32 }, (_, i) => i));
const request = {
  method: 'POST',
  path: '/v1/ingest',
  timestamp: 1_750_000_000_000,
  nonce: 'AAECAwQFBgcICQoLDA0ODw',
  body: Buffer.from('hello atalaya'),
  secret,
};
const KNOWN = '6579623a0545adaf6c6dfd0303a3e3ae97e78629f92497e4ad4f9070f2c238f2';

function errorCode(f: () => unknown): string | undefined {
  try {
    f();
  } catch (err) {
    return isSyncError(err) ? err.code : 'not a SyncError';
  }
  return undefined;
}

describe('signRequest', () => {
  it('matches HMAC-SHA256 over the documented string to sign, computed independently', () => {
    const bodyHash = createHash('sha256').update('hello atalaya').digest('hex');
    expect(bodyHash).toBe('fbbe85a7d628d5cb7daa73b2da6fdaa437e221545c96c15f46bbc56ded1f6965');
    const independent = createHmac('sha256', secret).update(`POST\n/v1/ingest\n1750000000000\nAAECAwQFBgcICQoLDA0ODw\n${bodyHash}`).digest('hex');
    expect(independent).toBe(KNOWN);
    expect(signRequest(request)).toBe(KNOWN);
  });

  it('signs an empty body as the hash of zero bytes', () => {
    const emptyHash = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
    const expected = createHmac('sha256', secret).update(`POST\n/v1/ingest\n0\nn\n${emptyHash}`).digest('hex');
    expect(signRequest({ ...request, timestamp: 0, nonce: 'n', body: new Uint8Array(0) })).toBe(expected);
  });

  it('refuses fields that would make the string to sign ambiguous, and an empty key', () => {
    const bad = [
      { method: 'POST\n/v1' },
      { path: '/v1/ingest\n1' },
      { nonce: 'a\nb' },
      { nonce: '' },
      { method: '' },
      { path: 'x'.repeat(2049) },
      { timestamp: -1 },
      { timestamp: 1.5 },
      { timestamp: Number.NaN },
      { timestamp: 2 ** 53 },
      { secret: new Uint8Array(0) },
    ];
    for (const change of bad) expect(errorCode(() => signRequest({ ...request, ...change }))).toBe(ATALAYA_SYNC_INVALID_ARGUMENT);
  });

  it('names the headers the relay reads', () => {
    expect(SIGNATURE_HEADERS).toEqual({
      gateway: 'x-atalaya-gateway',
      timestamp: 'x-atalaya-timestamp',
      nonce: 'x-atalaya-nonce',
      signature: 'x-atalaya-signature',
    });
  });
});

describe('verifyRequest', () => {
  const signature = KNOWN;

  it('accepts the signature of the same request', () => {
    expect(verifyRequest({ ...request, signature })).toBe(true);
    expect(verifyRequest({ ...request, body: new Uint8Array(request.body), secret: new Uint8Array(secret), signature })).toBe(true);
  });

  it('rejects any changed field', () => {
    const changes = [
      { method: 'post' },
      { method: 'PUT' },
      { path: '/v1/ingest/' },
      { path: '/v1/Ingest' },
      { timestamp: request.timestamp + 1 },
      { nonce: 'AAECAwQFBgcICQoLDA0ODx' },
      { body: Buffer.concat([request.body, Buffer.from([0])]) },
      { body: request.body.subarray(1) },
    ];
    for (const change of changes) expect(verifyRequest({ ...request, ...change, signature })).toBe(false);
    for (let i = 0; i < request.body.length; i++) {
      const body = Buffer.from(request.body);
      body[i] = body[i]! ^ 0x01;
      expect(verifyRequest({ ...request, body, signature })).toBe(false);
    }
    for (let i = 0; i < secret.length; i++) {
      const other = Buffer.from(secret);
      other[i] = other[i]! ^ 0x80;
      expect(verifyRequest({ ...request, secret: other, signature })).toBe(false);
    }
  });

  it('returns false, never throws, for malformed signatures and requests', () => {
    const flipped = (signature[0] === '0' ? '1' : '0') + signature.slice(1);
    const bad: unknown[] = [
      '',
      flipped,
      signature.toUpperCase(),
      signature.slice(0, 63),
      `${signature}0`,
      `${signature.slice(0, 63)}g`,
      ` ${signature.slice(1)}`,
      Buffer.from(signature, 'hex').toString('base64'),
      null,
      undefined,
      42,
    ];
    for (const s of bad) expect(verifyRequest({ ...request, signature: s as string })).toBe(false);
    expect(verifyRequest({ ...request, secret: new Uint8Array(0), signature: createHmac('sha256', '').update('x').digest('hex') })).toBe(false);
    expect(verifyRequest({ ...request, timestamp: Number.NaN, signature })).toBe(false);
    expect(verifyRequest({ ...request, path: '/v1/ingest\n', signature })).toBe(false);
    expect(verifyRequest({ ...request, body: 'hello atalaya' as unknown as Uint8Array, signature })).toBe(false);
  });
});

describe('nonces and gateway secrets', () => {
  it('makes 16-byte base64url nonces that differ', () => {
    const a = newNonce();
    expect(a).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(Buffer.from(a, 'base64url')).toHaveLength(16);
    expect(newNonce()).not.toBe(a);
  });

  it('makes 32-byte base64url secrets that secretBytes reads back', () => {
    const s = newGatewaySecret();
    expect(s).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(secretBytes(s).equals(Buffer.from(s, 'base64url'))).toBe(true);
    expect(secretBytes(s)).toHaveLength(32);
    expect(newGatewaySecret()).not.toBe(s);
    expect(secretBytes('AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8').equals(secret)).toBe(true);
  });

  it('refuses anything but the one spelling of 32 bytes, without echoing it', () => {
    const good = 'AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8';
    const bad = [good.slice(1), `${good}A`, `${good}=`, good.replace('A', '+'), good.replace('A', '/'), `${good.slice(0, 42)}9`, ` ${good.slice(1)}`, ''];
    for (const s of bad) {
      let thrown: unknown;
      try {
        secretBytes(s);
      } catch (err) {
        thrown = err;
      }
      expect(isSyncError(thrown, ATALAYA_SYNC_INVALID_ARGUMENT)).toBe(true);
      if (s.length > 8) expect(String((thrown as Error).message)).not.toContain(s.slice(0, 20));
    }
  });
});
