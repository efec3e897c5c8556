/**
 * Issue 15 proof, the organization half of the matrix: every organization route of the route
 * table (cloud/http/route-table.ts) × every role of organization A × A's own and B's targets →
 * the expected status, generated from the permission table and the routes' guards:
 * - the role lacks the route's permission: 403, whichever organization the target is in;
 * - it holds it: B's target answers 404 (like an unknown one), A's own is served; a list shows
 *   nothing of B. SQLite and PostgreSQL; the data of each organization is org-setup.ts'.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTE_TABLE, type RouteEntry } from '../../cloud/http/route-table.ts';
import { can } from '../../cloud/identity/permissions.ts';
import { startPostgres, type TestPostgres } from '../helpers/postgres.ts';
import { ORG_ROLES } from './identity-setup.ts';
import { ORGS, type OrgFixture, orgFixture, RELEASE, SLOT } from './org-setup.ts';

type Org = keyof typeof ORGS;

function urlOf(entry: RouteEntry, of: Org): string {
  const o = ORGS[of];
  const fill = (s: string): string =>
    s
      .replace(':gateway', o.gateway)
      .replace(':obra', o.obra)
      .replace(':seq', '1')
      .replace(':slot', String(SLOT))
      .replace(':action', 'mark-missing')
      .replace(':version', RELEASE)
      .replace(':id', entry.target === 'alert' ? encodeURIComponent(o.alert) : entry.target === 'gateway' ? o.gateway : '1');
  return entry.query === undefined ? fill(entry.url) : `${fill(entry.url)}?${fill(entry.query)}`;
}

const ROUTES = ROUTE_TABLE.filter((e) => e.scope === 'org' || e.scope === 'owner');

let postgres: TestPostgres | undefined;
const dirs: string[] = [];
afterAll(async () => {
  await postgres?.stop();
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

describe.each(['sqlite', 'postgres'] as const)('route × role × organization (%s)', (backend) => {
  let f: OrgFixture;

  beforeAll(async () => {
    if (backend === 'sqlite') {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atalaya-roles-org-'));
      dirs.push(dir);
      f = await orgFixture({ kind: 'sqlite', path: path.join(dir, 'relay.db') });
    } else {
      postgres ??= await startPostgres();
      f = await orgFixture({ kind: 'postgres', url: await postgres.newDatabase() });
    }
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
