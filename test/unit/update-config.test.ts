/** Issue 16 §4: the `update:` (agent) and `releases:` (relay) config sections, through each side's one schema. */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../agent/config/load.ts';
import { isUpdateError, UPDATE_KEY_UNREADABLE } from '../../agent/update/errors.ts';
import { loadReleasePublicKey } from '../../agent/update/key.ts';
import { parseRelayConfig } from '../../cloud/config/load.ts';
import { isReleasesError, RELEASES_KEY_UNREADABLE } from '../../cloud/releases/errors.ts';
import { loadReleaseKeys } from '../../cloud/releases/keys.ts';
import type { ConfigError } from '../../protocols/config-errors.ts';
import { CONFIG_INVALID, isAtalayaError } from '../../protocols/errors.ts';
import { generateReleaseKeyPair } from '../../protocols/release/index.ts';

function problems(parse: () => unknown): string[] {
  try {
    parse();
  } catch (err) {
    expect(isAtalayaError(err, CONFIG_INVALID)).toBe(true);
    return (err as ConfigError).problems.map((p) => p.path);
  }
  return [];
}

describe('update config', () => {
  const keys = generateReleaseKeyPair();

  it('is off by default, with the install layout of deploy/pi', () => {
    expect(parseConfig({ gateway: { id: 'gw' } }).update).toEqual({
      enabled: false,
      root: '/opt/atalaya',
      dir: '/var/lib/atalaya/update',
      confirmDeadlineS: 300,
      maxStarts: 3,
      rateBytesPerS: 0,
      timeoutMs: 60_000,
    });
  });

  it('needs the release public key when enabled, and refuses out-of-range values and unknown keys by path', () => {
    expect(problems(() => parseConfig({ gateway: { id: 'gw' }, update: { enabled: true } }))).toEqual(['update.publicKey']);
    expect(problems(() => parseConfig({ gateway: { id: 'gw' }, update: { confirmDeadlineS: 1, maxStarts: 0, rootDir: '/x' } })).sort()).toEqual([
      'update.confirmDeadlineS',
      'update.maxStarts',
      'update.rootDir',
    ]);
    expect(parseConfig({ gateway: { id: 'gw' }, update: { enabled: true, publicKey: keys.publicKeyPem } }).update.enabled).toBe(true);
  });

  it('reads the key as PEM or from a file, and refuses anything else with a coded error', () => {
    expect(loadReleasePublicKey(keys.publicKeyPem).asymmetricKeyType).toBe('ed25519');
    for (const bad of ['/nonexistent/release.pub', keys.privateKeyPem, 'not a key']) {
      let err: unknown;
      try {
        loadReleasePublicKey(bad);
      } catch (e) {
        err = e;
      }
      expect(isUpdateError(err, UPDATE_KEY_UNREADABLE), bad.slice(0, 30)).toBe(true);
    }
  });
});

describe('releases config (relay)', () => {
  it('needs at least one public key when enabled', () => {
    expect(problems(() => parseRelayConfig({ releases: { enabled: true } }))).toEqual(['releases.publicKeys']);
    expect(problems(() => parseRelayConfig({ releases: { urlTtlS: 1 } }))).toEqual(['releases.urlTtlS']);
  });

  it('names the key that cannot be read', () => {
    let err: unknown;
    try {
      loadReleaseKeys([generateReleaseKeyPair().publicKeyPem, 'not a key']);
    } catch (e) {
      err = e;
    }
    expect(isReleasesError(err, RELEASES_KEY_UNREADABLE)).toBe(true);
    expect((err as { details?: unknown }).details).toEqual({ index: 1 });
  });
});
