import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTE_TABLE } from '../../cloud/http/route-table.ts';
import { can } from '../../cloud/identity/permissions.ts';
import { ORG_ROLES } from './identity-setup.ts';
import { orgBackends, urlOf } from './org-backends.ts';
import { ORGS, type OrgFixture } from './org-setup.ts';

const ROUTES = ROUTE_TABLE.filter((e) => e.scope === 'org' || e.scope === 'owner');

const backends = orgBackends();
afterAll(() => backends.cleanup());

describe.each(['sqlite', 'postgres'] as const)('route × role × organization (%s)', (backend) => {
  let f: OrgFixture;

  beforeAll(async () => {
    f = await backends.fixture(backend);
  }, 60_000);
  afterAll(async () => {
    await f?.close();
  });

  it.each(ORG_ROLES)('%s of organization A', async (role) => {
    const wrong: unknown[] = [];
    let checked = 0;
    for (const entry of ROUTES) {
      const guard = f.guard.guarded.find((g) => g.method === entry.method && g.url === entry.url);
      if (guard === undefined) continue;
      const allowed = guard.permission === null || can(role, guard.permission);
      for (const target of ['a', 'b'] as const) {
        if (entry.target === 'none' && target === 'b') continue;
        const res = await f.app.inject({
          method: entry.method,
          url: urlOf(entry, target),
          headers: { authorization: `Bearer ${f.tokens[role]}` },
          ...(entry.method === 'POST' || entry.method === 'PUT' ? { payload: {} } : {}),
        });
        checked++;
        const status = res.statusCode;
        const expected = !allowed ? '403' : entry.scope === 'owner' || target === 'b' ? '404' : 'served';
        const ok =
          expected === 'served'
            ? status !== 401 && status !== 403 && status !== 404 && !res.body.includes(ORGS.b.gateway) && !res.body.includes(ORGS.b.obra)
            : status === Number(expected);
        if (!ok) wrong.push({ route: `${entry.method} ${entry.url}`, target, permission: guard.permission, expected, status });
      }
    }
    expect(wrong).toEqual([]);
    expect(checked).toBeGreaterThan(20);
  });
});
