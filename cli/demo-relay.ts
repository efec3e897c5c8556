import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import { parseRelayConfig } from '../cloud/config/load.ts';
import { hashApiToken, newApiToken } from '../cloud/http/auth.ts';
import { GatewaySecrets } from '../cloud/ingest/gateway-secrets.ts';
import { Relay } from '../cloud/main.ts';
import { newRelayKey, parseRelayKey } from '../cloud/secrets.ts';
import { createStore } from '../cloud/store/index.ts';
import { systemClock } from '../protocols/clock.ts';

export interface DemoRelay {
  readonly relay: Relay;
  readonly url: string;
  /** Operator token for the read APIs, made fresh each run (demo only: printed). */
  readonly token: string;
  /** File holding the gateway's secret, for the agent's sync.secretFile. */
  readonly secretFile: string;
}

/**
 * The demo's relay: SQLite in the demo data dir, a relay key and the gateway's secret kept beside
 * it (mode 0600) so a second run continues where the first stopped. A gateway whose secret file is
 * gone is provisioned again on a fresh database: a secret is only ever shown once.
 */
export async function startDemoRelay(dir: string, gateway: string, port: number, logger: Logger): Promise<DemoRelay> {
  const keyFile = path.join(dir, 'relay.key');
  const secretFile = path.join(dir, 'gateway.secret');
  const dbFile = path.join(dir, 'relay.db');
  if (!existsSync(keyFile)) writeFileSync(keyFile, `${newRelayKey()}\n`, { mode: 0o600 });
  const env = { ATALAYA_RELAY_KEY: readFileSync(keyFile, 'utf8').trim() };
  if (!existsSync(secretFile)) {
    for (const suffix of ['', '-wal', '-shm']) rmSync(dbFile + suffix, { force: true });
    const store = createStore({ kind: 'sqlite', path: dbFile }, logger);
    await store.start();
    try {
      const secrets = new GatewaySecrets({ store, key: parseRelayKey(env.ATALAYA_RELAY_KEY, 'relay.key'), logger });
      writeFileSync(secretFile, `${await secrets.provision(gateway, systemClock.now())}\n`, { mode: 0o600 });
    } finally {
      await store.stop();
    }
  }
  const token = newApiToken();
  const config = parseRelayConfig({
    listen: { host: '127.0.0.1', port },
    storage: { kind: 'sqlite', path: dbFile },
    apiTokens: [hashApiToken(token)],
  }, 'demo relay', env);
  const relay = new Relay(config, { logger, env });
  await relay.start();
  return { relay, url: `http://127.0.0.1:${relay.address.port}`, token, secretFile };
}
