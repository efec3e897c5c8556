import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Agent, request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { parseRelayConfig } from '../../cloud/config/load.ts';
import { KEY_INVALID, KEY_MISSING, LISTEN_FAILED, RELAY_NOT_RUNNING } from '../../cloud/errors.ts';
import { TLS_UNREADABLE } from '../../cloud/http/errors.ts';
import { GATEWAY_ID_INVALID, KEY_MISMATCH } from '../../cloud/ingest/errors.ts';
import { GatewaySecrets } from '../../cloud/ingest/gateway-secrets.ts';
import { Relay } from '../../cloud/main.ts';
import { newRelayKey, parseRelayKey } from '../../cloud/secrets.ts';
import { testLogger } from '../helpers/logger.ts';
import { makeTestPki } from '../helpers/tls.ts';

const dirs: string[] = [];
const relays: Relay[] = [];
afterEach(async () => {
  for (const r of relays.splice(0)) await r.stop();
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function setup(extra: Record<string, unknown> = {}): { dir: string; config: ReturnType<typeof parseRelayConfig> } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atalaya-'));
  dirs.push(dir);
  return {
    dir,
    config: parseRelayConfig({ listen: { host: '127.0.0.1', port: 0 }, storage: { kind: 'sqlite', path: path.join(dir, 'data', 'relay.db') }, ...extra }),
  };
}

function relay(config: ReturnType<typeof parseRelayConfig>, env: Record<string, string>): Relay {
  const r = new Relay(config, { logger: testLogger(), env });
  relays.push(r);
  return r;
}

describe('relay start and stop', () => {
  it('refuses to start without a relay key, or with one that is not 32 bytes', async () => {
    const { config } = setup();
    await expect(relay(config, {}).start()).rejects.toMatchObject({ code: KEY_MISSING });
    await expect(relay({ ...config, keyFile: path.join(os.tmpdir(), 'no-such-atalaya.key') }, {}).start()).rejects.toMatchObject({ code: KEY_MISSING });
    await expect(relay(config, { ATALAYA_RELAY_KEY: 'dG9vIHNob3J0' }).start()).rejects.toMatchObject({ code: KEY_INVALID });
  });

  it('refuses to start with a key that does not decrypt the stored gateway secrets', async () => {
    const { config } = setup();
    const key = newRelayKey();
    const first = relay(config, { ATALAYA_RELAY_KEY: key });
    await first.start();
    const secrets = new GatewaySecrets({ store: first.store, key: parseRelayKey(key, 'test'), logger: testLogger() });
    await secrets.provision('gw-1', Date.now());
    await expect(secrets.provision('no spaces!', Date.now())).rejects.toMatchObject({ code: GATEWAY_ID_INVALID });
    await first.stop();
    const wrong = relay(config, { ATALAYA_RELAY_KEY: newRelayKey() });
    await expect(wrong.start()).rejects.toMatchObject({ code: KEY_MISMATCH });
    // Nothing left open: the right key starts on the same database.
    const again = relay(config, { ATALAYA_RELAY_KEY: key });
    await again.start();
    expect(again.address.port).toBeGreaterThan(0);
  });

  it('says when it cannot listen, leaving nothing open', async () => {
    const { config } = setup();
    const key = newRelayKey();
    const first = relay(config, { ATALAYA_RELAY_KEY: key });
    await first.start();
    const taken = relay({ ...config, listen: { ...config.listen, port: first.address.port } }, { ATALAYA_RELAY_KEY: key });
    await expect(taken.start()).rejects.toMatchObject({ code: LISTEN_FAILED, details: { errno: 'EADDRINUSE' } });
    await taken.stop();
  });

  it('stops idempotently and then reports not running', async () => {
    const { config } = setup();
    const r = relay(config, { ATALAYA_RELAY_KEY: newRelayKey() });
    await r.start();
    const { port } = r.address;
    await r.stop();
    await r.stop();
    expect(() => r.address).toThrow(expect.objectContaining({ code: RELAY_NOT_RUNNING }));
    await expect(request(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
  });

  it('serves HTTPS with listen.tls, and says which TLS file it cannot read', async () => {
    const { dir, config } = setup();
    const pki = await makeTestPki(dir);
    const key = newRelayKey();
    const r = relay({ ...config, listen: { ...config.listen, tls: { cert: pki.certFile, key: pki.keyFile } } }, { ATALAYA_RELAY_KEY: key });
    await r.start();
    const dispatcher = new Agent({ connect: { ca: fs.readFileSync(pki.caFile) } });
    try {
      const res = await request(`https://localhost:${r.address.port}/healthz`, { dispatcher });
      expect(res.statusCode).toBe(200);
      expect(await res.body.json()).toEqual({ status: 'ok' });
    } finally {
      await dispatcher.close();
    }
    const missing = relay({ ...config, listen: { ...config.listen, tls: { cert: path.join(dir, 'nope.crt'), key: pki.keyFile } } }, { ATALAYA_RELAY_KEY: key });
    await expect(missing.start()).rejects.toMatchObject({ code: TLS_UNREADABLE });
  });
});
