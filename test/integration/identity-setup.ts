/**
 * Shared by the identity tests (issue 15): one relay per test file with every route family on
 * (DGA, alerts, anchoring), users of each role created through the relay's UserAdmin, their API
 * tokens, and sign-in over real HTTP. SQLite in a temp dir, or a throwaway PostgreSQL database.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseRelayConfig } from '../../cloud/config/load.ts';
import { hashApiToken, newApiToken } from '../../cloud/http/auth.ts';
import { cliPrincipal } from '../../cloud/identity/audit.ts';
import type { Role } from '../../cloud/identity/principal.ts';
import { Relay } from '../../cloud/main.ts';
import { newRelayKey } from '../../cloud/secrets.ts';
import { generateReleaseKeyPair } from '../../protocols/release/index.ts';
import { testLogger } from '../helpers/logger.ts';
import type { TestPostgres } from '../helpers/postgres.ts';

export const OWNER = cliPrincipal('test');
export const PASSWORD = 'correct horse battery';
export const ORG_ROLES = ['admin', 'compliance', 'technician', 'viewer'] as const satisfies readonly Role[];

export const WELL = {
  code: 'OB-0602-7',
  kind: 'subterranea',
  gateway: 'gw-1',
  device: 'pozo-1',
  channels: { flow: 'flow', totalizer: 'totalizer', waterColumn: 'water_column' },
  sensorDepthM: 60,
  startAt: '2025-06-16T00:00:00-04:00',
};

export interface IdentityRelay {
  readonly relay: Relay;
  readonly url: string;
  /** A config (operator) token: the owner of today's installs. */
  readonly operatorToken: string;
  /** Creates a user with PASSWORD and returns an API token of `role` for it. */
  user(name: string, role: Role, orgId?: string | null): Promise<string>;
  /** Signs in over HTTP: the cookie header to send and the CSRF token. */
  signIn(name: string, password?: string): Promise<{ cookie: string; csrf: string; status: number }>;
  stop(): Promise<void>;
}

export type Backend = { kind: 'sqlite' } | { kind: 'postgres'; pg: () => TestPostgres };

export async function startIdentityRelay(backend: Backend, identity: Record<string, number> = {}): Promise<IdentityRelay> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atalaya-identity-'));
  const storage =
    backend.kind === 'sqlite' ? { kind: 'sqlite', path: path.join(dir, 'relay.db') } : { kind: 'postgres', url: await backend.pg().newDatabase() };
  const operatorToken = newApiToken();
  const config = parseRelayConfig({
    listen: { host: '127.0.0.1', port: 0 },
    storage,
    apiTokens: [{ name: 'ops', sha256: hashApiToken(operatorToken) }],
    // Nothing is ever sent (no tick is driven); the URLs only have to parse.
    dga: { enabled: true, restBaseUrl: 'http://127.0.0.1:9/', soapEndpoint: 'http://127.0.0.1:9/soap', obras: [WELL] },
    alerts: { enabled: true },
    // An unreachable node never fails start (cloud/anchor/service.ts); no tick is driven.
    anchor: { enabled: true, rpcUrl: 'http://127.0.0.1:9/', chainId: 31337, contract: `0x${'ab'.repeat(20)}` },
    // Release hosting on, so its routes are in the matrix; nothing is ever added.
    releases: { enabled: true, publicKeys: [generateReleaseKeyPair().publicKeyPem], dir: path.join(dir, 'releases') },
    identity,
  });
  const relay = new Relay(config, {
    logger: testLogger(),
    env: { ATALAYA_RELAY_KEY: newRelayKey(), ATALAYA_ANCHOR_KEY: `0x${'11'.repeat(32)}` },
    dgaSchedule: false,
    alertsSchedule: false,
    anchorSchedule: false,
  });
  try {
    await relay.start();
  } catch (err) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const url = `http://127.0.0.1:${relay.address.port}`;
  return {
    relay,
    url,
    operatorToken,
    async user(name, role, orgId = role === 'owner' ? null : 'default') {
      await relay.users.add(OWNER, { name, role, orgId, password: PASSWORD });
      return (await relay.users.addToken(OWNER, { user: name, role, name: `${name}-token` })).token;
    },
    async signIn(name, password = PASSWORD) {
      const res = await fetch(`${url}/v1/session`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: url },
        body: JSON.stringify({ name, password }),
      });
      const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
      const body = (await res.json()) as { csrfToken?: string };
      return { cookie, csrf: body.csrfToken ?? '', status: res.status };
    },
    async stop() {
      await relay.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A concrete URL for a route pattern: every `:param` filled with a value the handler can parse. */
export function concrete(url: string): string {
  const values: Record<string, string> = { id: '1', gateway: 'gw-1', seq: '1', obra: WELL.code, slot: '2025-06-16T01:00:00-04:00', action: 'approve' };
  return url.replace(/:(\w+)/g, (_m, name: string) => encodeURIComponent(values[name] ?? 'x'));
}
