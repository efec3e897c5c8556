import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadGatewaySecret } from '../../agent/sync/secret.ts';
import { loadAnchorKey } from '../../cloud/anchor/key.ts';
import { loadRelayKey, newRelayKey } from '../../cloud/secrets.ts';
import { isPlatformError, PLATFORM_SECRET_FILE_UNREADABLE } from '../../platform/errors.ts';
import { readSecret } from '../../platform/secrets.ts';
import { newGatewaySecret, secretBytes } from '../../protocols/sync/signature.ts';
import { ANVIL_DEV_KEYS } from '../../simulators/chain/anvil.ts';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atalaya-secrets-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

function write(name: string, text: string, mode = 0o600): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text, { mode });
  fs.chmodSync(file, mode);
  return file;
}

describe('readSecret: the one precedence rule', () => {
  it('the variable wins over the file; a blank variable counts as unset', () => {
    const file = write('s', 'from-file\n');
    expect(readSecret('ATALAYA_X', file, { ATALAYA_X: 'from-env' })).toEqual({ text: 'from-env', source: 'ATALAYA_X', looselyPermitted: false });
    expect(readSecret('ATALAYA_X', file, { ATALAYA_X: '  ' })).toEqual({ text: 'from-file\n', source: file, looselyPermitted: false });
    expect(readSecret('ATALAYA_X', undefined, {})).toBeUndefined();
  });

  it('flags a file others may read, and names an unreadable one with its errno', () => {
    expect(readSecret('ATALAYA_X', write('loose', 'x', 0o644), {})?.looselyPermitted).toBe(true);
    let caught: unknown;
    try {
      readSecret('ATALAYA_X', path.join(dir, 'absent'), {});
    } catch (err) {
      caught = err;
    }
    expect(isPlatformError(caught, PLATFORM_SECRET_FILE_UNREADABLE)).toBe(true);
    expect((caught as { details: unknown }).details).toMatchObject({ errno: 'ENOENT' });
  });

  it('the gateway secret, the relay key and the anchoring key all follow it', () => {
    const gateway = { env: newGatewaySecret(), file: newGatewaySecret() };
    expect(Buffer.from(loadGatewaySecret({ secretFile: write('gw', gateway.file) }, { ATALAYA_GATEWAY_SECRET: gateway.env }))).toEqual(
      secretBytes(gateway.env),
    );
    const relay = { env: newRelayKey(), file: newRelayKey() };
    expect(loadRelayKey(write('relay', relay.file), { ATALAYA_RELAY_KEY: relay.env })).toMatchObject({
      key: Buffer.from(relay.env, 'base64'),
      source: 'ATALAYA_RELAY_KEY',
    });
    const anchor = loadAnchorKey(write('anchor', ANVIL_DEV_KEYS[1]!), { ATALAYA_ANCHOR_KEY: ANVIL_DEV_KEYS[0] });
    expect(anchor.source).toBe('ATALAYA_ANCHOR_KEY');
  });
});
