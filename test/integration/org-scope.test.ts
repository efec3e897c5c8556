import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { entriesOf, ROUTE_TABLE, type RouteEntry } from '../../cloud/http/route-table.ts';
import { can } from '../../cloud/identity/permissions.ts';
import { orgBackends, urlOf } from './org-backends.ts';
import { ORG_ROLES, ORGS, type OrgFixture, RELAY_ALERT } from './org-setup.ts';

/** Whether a concrete path fits a Fastify pattern (`:name` is one segment). */
const matches = (pattern: string, url: string): boolean => new RegExp(`^${pattern.replace(/[.]/g, '\\.').replace(/:\w+/g, '[^/]+')}$`).test(url);

/** The URL of a table entry naming the resources of organization `of`. */

const orgRoutes = ROUTE_TABLE.filter((e) => e.scope === 'org');
const lists = orgRoutes.filter((e) => e.target === 'none');
const byId = orgRoutes.filter((e) => e.target !== 'none');
const label = (e: RouteEntry): string => `${e.method} ${e.url}${e.query === undefined ? '' : `?${e.query}`}`;

const backends = orgBackends();
afterAll(() => backends.cleanup());

describe.each(['sqlite', 'postgres'] as const)('organization scope on %s', (backend) => {
  let f: OrgFixture;

  beforeAll(async () => {
    f = await backends.fixture(backend);
  }, 60_000);

  afterAll(async () => {
    await f?.close();
  });

  /**
   * As the owner (the config token), or as organization A's user of a role that holds the route's
   * permission (the guard's table): the organization filter is what is under test, not the role.
   */
  const call = (method: string, url: string, org?: 'a') => {
    let token = f.token;
    if (org !== undefined) {
      const pattern = url.split('?')[0];
      const guarded = f.guard.guarded.filter((g) => g.method === method);
      const permission = (guarded.find((g) => g.url === pattern) ?? guarded.find((g) => matches(g.url, pattern!)))?.permission;
      // No organization role holds it (metrics): a viewer, whom the guard refuses.
      const role = ORG_ROLES.find((r) => permission === null || permission === undefined || can(r, permission)) ?? 'viewer';
      token = f.tokens[role];
    }
    return f.app.inject({
      method: method as 'GET' | 'POST' | 'PUT' | 'DELETE',
      url,
      headers: { authorization: `Bearer ${token}` },
      ...(method === 'POST' || method === 'PUT' ? { payload: {} } : {}),
    });
  };

  it('the route table lists every route the relay registers', () => {
    const missing = f.routes.filter((r) => entriesOf(r.method, r.url).length === 0).map((r) => `${r.method} ${r.url}`);
    expect(missing).toEqual([]);
    expect(f.routes.length).toBeGreaterThan(15);
  });

  it.each(lists.map((e) => [label(e), e] as const))("%s shows organization A nothing of B's, and A's own", async (_l, entry) => {
    const mine = await call(entry.method, urlOf(entry, 'a'), 'a');
    expect(mine.statusCode).toBe(200);
    for (const leak of [ORGS.b.gateway, ORGS.b.obra, ORGS.b.alert, RELAY_ALERT]) expect(mine.body).not.toContain(leak);
    const owner = await call(entry.method, urlOf(entry, 'a'));
    expect(owner.statusCode).toBe(200);
    // What the owner sees of B on this route, A does not (each list holds something of both).
    expect(owner.body).toMatch(new RegExp(`${ORGS.b.gateway}|${ORGS.b.obra}`));
    expect(mine.body).toMatch(new RegExp(`${ORGS.a.gateway}|${ORGS.a.obra}`));
  });

  it.each(byId.map((e) => [label(e), e] as const))("%s answers organization A 404 for B's id, not for its own", async (_l, entry) => {
    const theirs = await call(entry.method, urlOf(entry, 'b'), 'a');
    expect(theirs.statusCode).toBe(404);
    expect(theirs.json().error).toBe('not_found');
    expect(theirs.body).not.toContain(ORGS.b.gateway === theirs.body ? '' : `"${ORGS.b.obra}"`);
    const mine = await call(entry.method, urlOf(entry, 'a'), 'a');
    expect(mine.statusCode).not.toBe(404);
    // The owner reaches B's.
    expect((await call(entry.method, urlOf(entry, 'b'))).statusCode).not.toBe(404);
  });

  it("a relay-wide alert (anchoring) is the owner's: 404 to an organization, listed for the owner", async () => {
    expect((await call('GET', `/v1/alerts/${RELAY_ALERT}`, 'a')).statusCode).toBe(404);
    expect((await call('POST', `/v1/alerts/${RELAY_ALERT}/ack`, 'a')).statusCode).toBe(404);
    expect((await call('GET', '/v1/alerts?state=all')).body).toContain(RELAY_ALERT);
  });

  it('owner-only routes refuse an organization (404, or 403 by the permission); relay-wide ones answer it', async () => {
    for (const e of ROUTE_TABLE.filter((x) => x.scope === 'owner')) {
      expect([403, 404], label(e)).toContain((await call(e.method, urlOf(e, 'a'), 'a')).statusCode);
      expect((await call(e.method, urlOf(e, 'a'))).statusCode, label(e)).toBe(200);
    }
    for (const e of ROUTE_TABLE.filter((x) => x.scope === 'relay')) expect((await call(e.method, urlOf(e, 'a'), 'a')).statusCode, label(e)).toBe(200);
  });

  it("alerts of an obra belong to its gateway's organization", async () => {
    const a = (await call('GET', '/v1/alerts?state=all', 'a')).json() as { alerts: Array<{ id: string; orgId: string | null }> };
    expect(a.alerts.map((x) => x.id).sort()).toEqual([ORGS.a.alert, ORGS.a.obraAlert].sort());
    expect(new Set(a.alerts.map((x) => x.orgId))).toEqual(new Set(['a']));
  });
});
