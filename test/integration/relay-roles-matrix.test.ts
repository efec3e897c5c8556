/**
 * Issue 15 proof: every guarded route × every role → the expected status, generated from the
 * permission table (cloud/identity/permissions.ts) and the routes the relay actually serves, not
 * hand-picked. Allowed: anything but 401/403 (the handler runs: 200, or 400/404/409 for the
 * placeholder ids); refused: 403 forbidden. Without credentials: 401. Today's config tokens act
 * as the owner. On SQLite and PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { can, type Permission } from '../../cloud/identity/permissions.ts';
import { ROLES, type Role } from '../../cloud/identity/principal.ts';
import { startPostgres, type TestPostgres } from '../helpers/postgres.ts';
import { concrete, type IdentityRelay, startIdentityRelay } from './identity-setup.ts';

/**
 * What each route requires, written out here rather than read back from the relay: a route that
 * asks for the wrong permission (or none) fails the first test below, and every role is then
 * checked against the table for it.
 */
const EXPECTED: Readonly<Record<string, Permission | null>> = {
  'GET /v1/session': null,
  'DELETE /v1/session': null,
  'GET /v1/audit': 'audit.read',
  'GET /metrics': 'metrics.read',
  'GET /v1/gateways': 'gateways.read',
  'GET /v1/readings': 'readings.read',
  'GET /v1/integrity-alarms': 'alarms.read',
  'GET /v1/fleet': 'fleet.read',
  'GET /v1/fleet/:gateway': 'fleet.read',
  'GET /v1/sources': 'sources.read',
  'GET /v1/releases': 'releases.read',
  'POST /v1/releases/:version/rollout': 'releases.rollout',
  'PUT /v1/gateways/:id/config': 'fleet.configure',
  'GET /v1/gateways/:id/config': 'fleet.read',
  'GET /v1/gateways/:id/config/history': 'fleet.read',
  'POST /v1/gateways/:id/commands': 'fleet.command',
  'GET /v1/gateways/:id/commands': 'fleet.read',
  'GET /v1/dga': 'dga.read',
  'GET /v1/dga/review': 'dga.read',
  'POST /v1/dga/:obra/:slot/:action': 'dga.review',
  'GET /v1/dga/:obra': 'dga.read',
  'GET /v1/dga/:obra/volumes': 'dga.read',
  'GET /v1/dga/:obra/volumes.csv': 'dga.read',
  'GET /v1/dga/:obra/exceedances': 'dga.read',
  'GET /v1/dga/:obra/evidence.zip': 'dga.evidence',
  'GET /v1/alerts': 'alerts.read',
  'GET /v1/alerts/:id': 'alerts.read',
  'POST /v1/alerts/:id/ack': 'alerts.ack',
  'GET /v1/proofs/:gateway/:seq': 'anchor.read',
  'GET /v1/anchors': 'anchor.read',
  'GET /v1/anchors/errors': 'anchor.read',
  'GET /v1/anchors/:id': 'anchor.read',
};

let pg: TestPostgres | undefined;
afterAll(async () => {
  await pg?.stop();
});

describe.each(['sqlite', 'postgres'] as const)('every route × every role (%s)', (kind) => {
  let r: IdentityRelay;
  const tokens = new Map<Role, string>();

  beforeAll(async () => {
    if (kind === 'postgres') pg ??= await startPostgres();
    r = await startIdentityRelay(kind === 'sqlite' ? { kind } : { kind, pg: () => pg! });
    for (const role of ROLES) tokens.set(role, await r.user(`u-${role}`, role));
  }, 60_000);
  afterAll(async () => {
    await r?.stop();
  });

  const call = async (method: string, url: string, headers: Record<string, string>): Promise<number> => {
    const res = await fetch(`${r.url}${concrete(url)}`, {
      method,
      headers: { ...headers, ...(method === 'POST' ? { 'content-type': 'application/json' } : {}) },
      ...(method === 'POST' ? { body: '{}' } : {}),
    });
    await res.arrayBuffer();
    return res.status;
  };

  it('guards every route it serves with the permission expected of it', () => {
    expect(Object.fromEntries(r.relay.routes.map((x) => [`${x.method} ${x.url}`, x.permission]))).toEqual(EXPECTED);
  });

  it('answers 401 to every guarded route without credentials', async () => {
    const got = await Promise.all(Object.keys(EXPECTED).map(async (route) => [route, await call(...(route.split(' ') as [string, string]), {})] as const));
    expect(got.filter(([, s]) => s !== 401)).toEqual([]);
  });

  it.each(ROLES)('%s: the table decides every route', async (role) => {
    const auth = { authorization: `Bearer ${tokens.get(role)}` };
    const got = await Promise.all(
      Object.entries(EXPECTED).map(async ([route, permission]) => {
        const [method, url] = route.split(' ') as [string, string];
        const status = await call(method, url, auth);
        const allowed = permission === null || can(role, permission);
        return { route, permission, allowed, status };
      }),
    );
    const wrong = got.filter((g) => (g.allowed ? g.status === 401 || g.status === 403 : g.status !== 403));
    expect(wrong).toEqual([]);
  });

  it("today's operator token is the owner: every route allowed, and listed as a config token", async () => {
    const auth = { authorization: `Bearer ${r.operatorToken}` };
    const statuses = await Promise.all(Object.keys(EXPECTED).map((route) => call(...(route.split(' ') as [string, string]), auth)));
    expect(statuses.filter((s) => s === 401 || s === 403)).toEqual([]);
    const who = await (await fetch(`${r.url}/v1/session`, { headers: auth })).json();
    expect(who).toMatchObject({ kind: 'operator', name: 'ops', orgId: null, role: 'owner' });
    const { OWNER } = await import('./identity-setup.ts');
    expect((await r.relay.users.listTokens(OWNER)).config).toEqual([{ kind: 'config', name: 'ops', role: 'owner' }]);
  });
});
