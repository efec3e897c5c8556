import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { KEY_INVALID, KEY_MISSING, SECRET_UNDECRYPTABLE } from '../../cloud/errors.ts';
import { decryptSecret, encryptSecret, loadRelayKey, newRelayKey, parseRelayKey } from '../../cloud/secrets.ts';
import { isAtalayaError } from '../../protocols/errors.ts';
import { newGatewaySecret } from '../../protocols/sync/signature.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atalaya-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Flips one bit of part `i` (1 iv, 2 tag, 3 ciphertext) of `v1.<iv>.<tag>.<ct>`. */
function alter(c: string, i: number): string {
  const parts = c.split('.');
  const bytes = Buffer.from(parts[i]!, 'base64url');
  bytes[0] = bytes[0]! ^ 1;
  parts[i] = bytes.toString('base64url');
  return parts.join('.');
}

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}

describe('gateway secrets at rest (AES-256-GCM)', () => {
  const key = parseRelayKey(newRelayKey(), 'test');
  const secret = newGatewaySecret();

  it('round-trips as v1.<iv>.<tag>.<ct> base64url, with a fresh IV each time', () => {
    const a = encryptSecret(secret, key, 'gw-1');
    const b = encryptSecret(secret, key, 'gw-1');
    expect(a).toMatch(/^v1\.[\w-]{16}\.[\w-]{22}\.[\w-]+$/);
    expect(a).not.toBe(b);
    expect(a).not.toContain(secret);
    expect(decryptSecret(a, key, 'gw-1')).toBe(secret);
  });

  it.each([
    ['another key', (c: string) => decryptSecret(c, parseRelayKey(newRelayKey(), 'other'), 'gw-1')],
    ['another gateway (ciphertext moved between rows)', (c: string) => decryptSecret(c, key, 'gw-2')],
    ['an altered IV', (c: string) => decryptSecret(alter(c, 1), key, 'gw-1')],
    ['an altered tag', (c: string) => decryptSecret(alter(c, 2), key, 'gw-1')],
    ['an altered ciphertext', (c: string) => decryptSecret(alter(c, 3), key, 'gw-1')],
    ['an unknown version', (c: string) => decryptSecret(c.replace(/^v1/, 'v2'), key, 'gw-1')],
    ['garbage', () => decryptSecret('nonsense', key, 'gw-1')],
  ])('refuses %s with SECRET_UNDECRYPTABLE, never echoing the secret', (_name, act) => {
    const err = thrown(() => act(encryptSecret(secret, key, 'gw-1')));
    expect(isAtalayaError(err, SECRET_UNDECRYPTABLE)).toBe(true);
    expect(JSON.stringify({ m: (err as Error).message, d: (err as { details?: unknown }).details })).not.toContain(secret);
  });
});

describe('relay key', () => {
  it('comes from ATALAYA_RELAY_KEY before keyFile', () => {
    const k = newRelayKey();
    const file = path.join(dir, 'unused.key');
    expect(loadRelayKey(file, { ATALAYA_RELAY_KEY: k }).key).toEqual(Buffer.from(k, 'base64'));
  });

  it('is read from keyFile, flagging a file others can read', () => {
    const file = path.join(dir, 'relay.key');
    fs.writeFileSync(file, `${newRelayKey()}\n`, { mode: 0o600 });
    expect(loadRelayKey(file, {})).toMatchObject({ source: file, looselyPermitted: false });
    fs.chmodSync(file, 0o644);
    expect(loadRelayKey(file, {}).looselyPermitted).toBe(true);
  });

  it('missing everywhere is KEY_MISSING', () => {
    expect(
      isAtalayaError(
        thrown(() => loadRelayKey(undefined, {})),
        KEY_MISSING,
      ),
    ).toBe(true);
    expect(
      isAtalayaError(
        thrown(() => loadRelayKey(path.join(dir, 'absent.key'), {})),
        KEY_MISSING,
      ),
    ).toBe(true);
  });

  it.each(['x', 'c2hvcnQ=', 'not base64 at all!', Buffer.alloc(33).toString('base64')])('%j is KEY_INVALID, and not repeated in the message', (text) => {
    const err = thrown(() => loadRelayKey(undefined, { ATALAYA_RELAY_KEY: text }));
    expect(isAtalayaError(err, KEY_INVALID)).toBe(true);
    if (text.length > 4) expect((err as Error).message).not.toContain(text);
  });
});
