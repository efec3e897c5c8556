import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { Logger } from 'pino';
import { parseRelayConfig } from '../cloud/config/load.ts';
import { hashApiToken, newApiToken } from '../cloud/http/auth.ts';
import { GatewaySecrets, newGatewaySecretCiphertext } from '../cloud/ingest/gateway-secrets.ts';
import { Relay } from '../cloud/main.ts';
import { type SourceKind, sourceGateway } from '../cloud/providers/config.ts';
import { newRelayKey, parseRelayKey } from '../cloud/secrets.ts';
import { createRelayDatabase } from '../cloud/store/index.ts';
import { systemClock } from '../protocols/clock.ts';
import type { DgaCredentials } from '../protocols/dga/index.ts';

export interface DemoRelayOptions {
  readonly dir: string;
  readonly gateway: string;
  /** 0: any free port. */
  readonly port: number;
  readonly logger: Logger;
  /** The relay's `dga:` section, and the credentials stored (encrypted) for each of its obras. */
  readonly dga: { readonly section: Record<string, unknown>; readonly credentials: Readonly<Record<string, DgaCredentials>> };
  /** The relay's `anchor:` section (enabled, rpcUrl, chainId, contract, schedule…). */
  readonly anchor: Record<string, unknown>;
  /** The anchoring key, handed over in the relay's environment only; none when anchoring is off. */
  readonly anchorKey?: string;
  /**
   * The relay's `alerts:` section, given the relay's own URL (for the ack links), and the
   * environment its channels need (the webhook secret).
   */
  readonly alerts?: { readonly section: (url: string) => Record<string, unknown>; readonly env: Readonly<Record<string, string>> };
  /** Provider sources (`sources:` entries, provisioned when missing) and the environment holding their secrets. */
  readonly sources?: { readonly section: ReadonlyArray<Record<string, unknown>>; readonly env: Readonly<Record<string, string>> };
}

export interface DemoRelay {
  readonly relay: Relay;
  readonly url: string;
  /** Operator token for the read APIs, the dashboard and /metrics, made fresh each run (demo only: printed). */
  readonly token: string;
  /** File holding the gateway's secret, for the agent's sync.secretFile. */
  readonly secretFile: string;
}

const files = (dir: string): { keyFile: string; secretFile: string; dbFile: string } => ({
  keyFile: path.join(dir, 'relay.key'),
  secretFile: path.join(dir, 'gateway.secret'),
  dbFile: path.join(dir, 'relay.db'),
});

/** True when a previous run left a relay database with its gateway provisioned. */
export function demoRelayExists(dir: string): boolean {
  const { secretFile, dbFile } = files(dir);
  return existsSync(secretFile) && existsSync(dbFile);
}

/** Forget the previous run's relay: its database is created and the gateway provisioned again. */
export function resetDemoRelay(dir: string): void {
  rmSync(files(dir).secretFile, { force: true });
}

/**
 * A port free now, for a relay asked to take any: its URL goes into its own config (the ack
 * links) before it listens. Another process could take it in between; the demo then says the
 * port is in use.
 */
async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** `atalaya relay source add` for each configured source the database does not have yet. */
async function provisionSources(dbFile: string, sources: ReadonlyArray<Record<string, unknown>>, key: Buffer, logger: Logger): Promise<void> {
  const database = createRelayDatabase({ kind: 'sqlite', path: dbFile }, logger);
  await database.start();
  try {
    const have = new Set((await database.sources.listSources()).map((s) => s.id));
    for (const s of sources) {
      const id = String(s['id']);
      if (have.has(id)) continue;
      const kind = s['kind'] as SourceKind;
      await database.sources.addSource({
        id,
        kind,
        org: 'default',
        gatewaySecretCiphertext: newGatewaySecretCiphertext(sourceGateway(id), key),
        now: systemClock.now(),
      });
    }
  } finally {
    await database.stop();
  }
}

/**
 * The demo's relay: SQLite in the demo data dir, a relay key and the gateway's secret kept beside
 * it (mode 0600) so a second run continues where the first stopped. A gateway whose secret file is
 * gone is provisioned again on a fresh database: a secret is only ever shown once.
 */
export async function startDemoRelay(o: DemoRelayOptions): Promise<DemoRelay> {
  const { keyFile, secretFile, dbFile } = files(o.dir);
  if (!existsSync(keyFile)) writeFileSync(keyFile, `${newRelayKey()}\n`, { mode: 0o600 });
  const env = {
    ATALAYA_RELAY_KEY: readFileSync(keyFile, 'utf8').trim(),
    ...(o.anchorKey === undefined ? {} : { ATALAYA_ANCHOR_KEY: o.anchorKey }),
    ...o.alerts?.env,
    ...o.sources?.env,
  };
  if (!existsSync(secretFile)) {
    for (const suffix of ['', '-wal', '-shm']) rmSync(dbFile + suffix, { force: true });
    const database = createRelayDatabase({ kind: 'sqlite', path: dbFile }, o.logger);
    await database.start();
    try {
      const secrets = new GatewaySecrets({ store: database.records, key: parseRelayKey(env.ATALAYA_RELAY_KEY, 'relay.key'), logger: o.logger });
      writeFileSync(secretFile, `${await secrets.provision(o.gateway, systemClock.now())}\n`, { mode: 0o600 });
    } finally {
      await database.stop();
    }
  }
  if (o.sources !== undefined) await provisionSources(dbFile, o.sources.section, parseRelayKey(env.ATALAYA_RELAY_KEY, 'relay.key'), o.logger);
  const token = newApiToken();
  const port = o.port === 0 && o.alerts !== undefined ? await freePort() : o.port;
  const config = parseRelayConfig(
    {
      listen: { host: '127.0.0.1', port },
      storage: { kind: 'sqlite', path: dbFile },
      apiTokens: [hashApiToken(token)],
      dga: o.dga.section,
      anchor: o.anchor,
      ...(o.alerts === undefined ? {} : { alerts: o.alerts.section(`http://127.0.0.1:${port}`) }),
      ...(o.sources === undefined ? {} : { sources: o.sources.section }),
    },
    'demo relay',
    env,
  );
  const relay = new Relay(config, { logger: o.logger, env });
  await relay.start();
  try {
    for (const [obra, credentials] of Object.entries(o.dga.credentials)) await relay.dga?.setCredentials(obra, credentials);
  } catch (err) {
    await relay.stop();
    throw err;
  }
  return { relay, url: `http://127.0.0.1:${relay.address.port}`, token, secretFile };
}
