/**
 * Issue 16 §2–3 at the relay: a desired config is validated with the agent's own schema and
 * cross-checks (path-level problems, nothing stored when refused), versioned with who set it; the
 * fleet parts deliver a version only until the gateway tried it; commands are audited, delivered
 * until an outcome arrives, their outcomes stored once.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CommandsService } from '../../cloud/fleet/commands-service.ts';
import { ConfigService, sha256Hex } from '../../cloud/fleet/config-service.ts';
import { createRelayDatabase, type RelayDatabase } from '../../cloud/store/database.ts';
import { SqlFleetCommandsStore } from '../../cloud/store/fleet-commands-store.ts';
import { SqlFleetConfigStore } from '../../cloud/store/fleet-config-store.ts';
import { testLogger } from '../helpers/logger.ts';
import { startPostgres, type TestPostgres } from '../helpers/postgres.ts';
import { startTestRelay, type TestRelay } from './relay-setup.ts';

const GOOD = `gateway: { id: gw-1 }
sync: { url: 'http://127.0.0.1:8080' }
devices:
  - { id: gas-1, profile: gas-detector, tcp: { host: 127.0.0.1, port: 1502 }, intervalMs: 500 }
`;
const BAD = `gateway: { id: gw-1 }
sync: { url: 'http://127.0.0.1:8080' }
devices:
  - { id: gas-1, profile: gas-detectr, tcp: { host: 127.0.0.1, port: 70000 } }
`;

let relay: TestRelay;

// biome-ignore lint/suspicious/noExplicitAny: a JSON answer of the relay API, read loosely by the test
async function call(method: 'GET' | 'PUT' | 'POST', url: string, body?: string, type = 'application/yaml'): Promise<{ status: number; body: any }> {
  const res = await request(`${relay.url}${url}`, {
    method,
    headers: { authorization: `Bearer ${relay.token}`, ...(body === undefined ? {} : { 'content-type': type }) },
    ...(body === undefined ? {} : { body }),
  });
  return { status: res.statusCode, body: await res.body.json() };
}

beforeAll(async () => {
  relay = await startTestRelay();
  await relay.addGateway('gw-1');
});
afterAll(async () => {
  await relay?.stop();
});

describe('PUT /v1/gateways/<id>/config', () => {
  it('refuses an invalid config with the agent’s path-level problems, and stores nothing', async () => {
    const res = await call('PUT', '/v1/gateways/gw-1/config', BAD);
    expect(res.status).toBe(400);
    expect(res.body.problems.map((p: { path: string }) => p.path).sort()).toEqual(['devices[0].profile', 'devices[0].tcp.port']);
    expect((await call('GET', '/v1/gateways/gw-1/config')).body).toMatchObject({ desired: null, status: 'none' });
  });

  it('refuses a config naming another gateway', async () => {
    const res = await call('PUT', '/v1/gateways/gw-1/config', GOOD.replace('gw-1', 'gw-2'));
    expect(res.status).toBe(400);
    expect(res.body.problems).toEqual([expect.objectContaining({ path: 'gateway.id' })]);
  });

  it('refuses a config that would cut the gateway off from the relay', async () => {
    const res = await call(
      'PUT',
      '/v1/gateways/gw-1/config',
      `${GOOD.replace("sync: { url: 'http://127.0.0.1:8080' }", 'sync: { enabled: false }')}fleet: { enabled: false }\n`,
    );
    expect(res.status).toBe(400);
    expect(res.body.problems.map((p: { path: string }) => p.path).sort()).toEqual(['fleet.enabled', 'sync.url']);
  });

  it('stores versions 1, 2 with who set them and their sha256; YAML or JSON', async () => {
    const v1 = await call('PUT', '/v1/gateways/gw-1/config', GOOD);
    expect(v1).toMatchObject({ status: 201, body: { gateway: 'gw-1', version: 1, sha256: sha256Hex(GOOD), setBy: expect.stringMatching(/^token-/) } });
    const json = JSON.stringify({ gateway: { id: 'gw-1' }, sync: { url: 'http://127.0.0.1:8080' }, devices: [] });
    const v2 = await call('PUT', '/v1/gateways/gw-1/config', json, 'application/json');
    expect(v2).toMatchObject({ status: 201, body: { version: 2 } });
    expect((await call('GET', '/v1/gateways/gw-1/config')).body).toMatchObject({ desired: { version: 2 }, status: 'pending' });
    expect((await call('GET', '/v1/gateways/gw-1/config?version=1')).body).toMatchObject({ desired: { version: 1 }, yaml: GOOD });
    const history = (await call('GET', '/v1/gateways/gw-1/config/history')).body;
    expect(history.versions.map((v: { version: number }) => v.version)).toEqual([1, 2]);
  });

  it('answers 404 for an unknown gateway and 401 without a token', async () => {
    expect((await call('PUT', '/v1/gateways/nope/config', GOOD.replace('gw-1', 'nope'))).status).toBe(404);
    const res = await request(`${relay.url}/v1/gateways/gw-1/config`);
    expect(res.statusCode).toBe(401);
    await res.body.dump();
  });
});

describe('POST /v1/gateways/<id>/commands', () => {
  it('creates an audited command with an expiry, and refuses unknown arguments with their path', async () => {
    const ok = await call('POST', '/v1/gateways/gw-1/commands', JSON.stringify({ kind: 'device.poll', args: { device: 'gas-1' } }), 'application/json');
    expect(ok.status).toBe(201);
    expect(ok.body.expiresAt - ok.body.createdAt).toBe(600_000);
    expect(ok.body.createdBy).toMatch(/^token-/);
    const bad = await call(
      'POST',
      '/v1/gateways/gw-1/commands',
      JSON.stringify({ kind: 'modbus.read', args: { device: 'gas-1', count: 500 } }),
      'application/json',
    );
    expect(bad.status).toBe(400);
    expect(bad.body.problems.map((p: { path: string }) => p.path).sort()).toEqual(['args.address', 'args.count']);
    const list = (await call('GET', '/v1/gateways/gw-1/commands')).body.commands;
    expect(list).toEqual([expect.objectContaining({ id: ok.body.id, state: 'pending' })]);
  });
});

describe.each([{ backend: 'sqlite' }, { backend: 'postgres' }])('the config and commands parts of the fleet channel ($backend)', ({ backend }) => {
  let dir: string;
  let db: RelayDatabase;
  let pg: TestPostgres | undefined;
  let now = 1_800_000_000_000;
  const clock = { now: () => now, monotonic: () => now };
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atalaya-fleet-config-'));
    if (backend === 'postgres') pg = await startPostgres();
    db = createRelayDatabase(pg === undefined ? { kind: 'sqlite', path: path.join(dir, 'relay.db') } : { kind: 'postgres', url: pg.url }, testLogger());
    await db.start();
  }, 60_000);
  afterAll(async () => {
    await db?.stop();
    await pg?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('delivers the desired version until the gateway reports it, and never again after a rollback', async () => {
    const config = new ConfigService({ store: new SqlFleetConfigStore(db.executor), clock, logger: testLogger() });
    expect(await config.answer('gw-1', now)).toBeUndefined();
    await config.set('gw-1', GOOD, 'ops');
    expect(await config.answer('gw-1', now)).toEqual({ version: 1, yaml: GOOD, sha256: sha256Hex(GOOD) });
    await config.onReport('gw-1', { applied: null, version: null, state: 'local', reason: null }, now);
    expect(await config.answer('gw-1', now)).toMatchObject({ version: 1 });
    await config.onReport('gw-1', { applied: 1, version: 1, state: 'applied', reason: null }, now);
    await config.onReport('gw-1', { applied: 1, version: 1, state: 'applied', reason: null }, now + 1);
    expect(await config.answer('gw-1', now)).toBeUndefined();
    expect((await config.view('gw-1')).status).toBe('in_sync');
    await config.set('gw-1', GOOD.replace('500', '600'), 'ops');
    expect(await config.answer('gw-1', now)).toMatchObject({ version: 2 });
    await config.onReport('gw-1', { applied: 1, version: 2, state: 'rolled_back', reason: 'no device answered' }, now + 2);
    expect(await config.answer('gw-1', now)).toBeUndefined();
    expect(await config.view('gw-1')).toMatchObject({ status: 'rolled_back', gateway: { state: 'rolled_back', reason: 'no device answered', applied: 1 } });
    // One row per change, not per poll.
    expect((await config.history('gw-1')).reports.map((r) => r.state)).toEqual(['local', 'applied', 'rolled_back']);
  });

  it('repeats a command until its outcome arrives, stores the first outcome only, confirms it', async () => {
    const commands = new CommandsService({ store: new SqlFleetCommandsStore(db.executor), clock, logger: testLogger(), maxAgeMs: 60_000 });
    const c = await commands.create('gw-1', 'alarm.ack', { device: 'gas-1', channel: 'ch4', rule: 'high2' }, 'ops');
    const first = await commands.answer('gw-1', now);
    expect(first).toEqual({ now, commands: [expect.objectContaining({ id: c.id, kind: 'alarm.ack', issuedAt: now, expiresAt: now + 60_000 })], confirmed: [] });
    expect(await commands.answer('gw-1', now)).toEqual(first);
    await commands.onReport('gw-1', { outcomes: [{ id: c.id, status: 'ok', result: { cleared: true }, at: now + 5 }] }, now + 5);
    expect(await commands.answer('gw-1', now + 5)).toEqual({ now: now + 5, commands: [], confirmed: [c.id] });
    await commands.onReport('gw-1', { outcomes: [{ id: c.id, status: 'refused', reason: 'again', at: now + 6 }] }, now + 6);
    expect(await commands.answer('gw-1', now + 6)).toEqual({ now: now + 6, commands: [], confirmed: [c.id] });
    expect(await commands.answer('gw-1', now + 7)).toBeUndefined();
    expect((await commands.list('gw-1'))[0]).toMatchObject({ state: 'ok', outcome: { result: { cleared: true } } });
    const late = await commands.create('gw-1', 'device.poll', { device: 'gas-1' }, 'ops');
    now += 60_001;
    expect(await commands.answer('gw-1', now)).toBeUndefined();
    expect((await commands.list('gw-1')).find((x) => x.id === late.id)).toMatchObject({ state: 'expired' });
  });
});
