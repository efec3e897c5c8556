/**
 * deploy/cloud's relay.yaml as compose.yaml runs it (issue 8), without Docker: two relays from that
 * one file on one PostgreSQL database, secrets from the environment as in the containers, and the
 * image's health check (deploy/cloud/healthcheck.mjs) against each.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseRelayConfig } from '../../cloud/config/load.ts';
import { hashApiToken, newApiToken } from '../../cloud/http/auth.ts';
import { GatewaySecrets } from '../../cloud/ingest/gateway-secrets.ts';
import { Relay } from '../../cloud/main.ts';
import { newRelayKey, parseRelayKey } from '../../cloud/secrets.ts';
import { testLogger } from '../helpers/logger.ts';
import { startPostgres, type TestPostgres } from '../helpers/postgres.ts';
import { allRelayRecords } from '../helpers/relay-process.ts';
import { runToEnd } from '../helpers/release.ts';
import { batchOf, readings, send } from './relay-setup.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const HEALTHCHECK = path.join(ROOT, 'deploy/cloud/healthcheck.mjs');

/** The container's health check run against `url` (its default is the relay's port 8080). */
async function healthcheck(url: string): Promise<number | null> {
  return (await runToEnd(process.execPath, [HEALTHCHECK], ROOT, { ...process.env, ATALAYA_HEALTHCHECK_URL: `${url}/healthz` })).code;
}

describe('deploy/cloud relays', () => {
  let pg: TestPostgres | undefined;
  const relays: Relay[] = [];
  const token = newApiToken();
  const key = newRelayKey();
  const urls: string[] = [];

  beforeAll(async () => {
    pg = await startPostgres();
    const raw = parse(readFileSync(path.join(ROOT, 'deploy/cloud/relay.yaml'), 'utf8')) as {
      listen: Record<string, unknown>;
      storage: Record<string, unknown>;
    };
    // What differs from the containers: a free loopback port, and the test cluster's URL.
    raw.listen = { ...raw.listen, host: '127.0.0.1', port: 0 };
    raw.storage = { ...raw.storage, url: pg.url };
    const env = { ATALAYA_RELAY_KEY: key, ATALAYA_RELAY_API_TOKENS: hashApiToken(token) };
    const config = () => parseRelayConfig(structuredClone(raw), 'deploy/cloud/relay.yaml', env);
    relays.push(new Relay(config(), { logger: testLogger(), env }), new Relay(config(), { logger: testLogger(), env }));
    // Started together, as compose starts them: both migrate the same empty database.
    await Promise.all(relays.map((r) => r.start()));
    urls.push(...relays.map((r) => `http://127.0.0.1:${r.address.port}`));
  });

  afterAll(async () => {
    for (const r of relays) await r.stop();
    await pg?.stop();
  });

  it('both serve the same database: a batch sent to one is read from the other', async () => {
    const secret = await new GatewaySecrets({ store: relays[0]!.store, key: parseRelayKey(key, 'test'), logger: testLogger() }).provision(
      'gw-compose',
      Date.now(),
    );
    const sent = await send(urls[0]!, secret, batchOf('gw-compose', readings(10)));
    expect(sent.status).toBe(200);
    expect(await allRelayRecords(urls[1]!, token, 'gateway=gw-compose')).toHaveLength(10);
  });

  it('passes the health check while the database answers, and fails it when it does not', async () => {
    expect(await Promise.all(urls.map(healthcheck))).toEqual([0, 0]);
    await pg!.stop();
    expect(await Promise.all(urls.map(healthcheck))).toEqual([1, 1]);
  });
});
