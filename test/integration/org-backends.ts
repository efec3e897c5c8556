/**
 * What the two organization matrices (org-scope, relay-roles-org) share: the org fixture on each
 * backend, and a route-table entry's URL with one organization's ids filled in.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { RouteEntry } from '../../cloud/http/route-table.ts';
import { startPostgres, type TestPostgres } from '../helpers/postgres.ts';
import { ORGS, type OrgFixture, orgFixture, RELEASE, SLOT } from './org-setup.ts';

export type Org = keyof typeof ORGS;
export type Backend = 'sqlite' | 'postgres';

/** `entry`'s URL (and query) with organization `of`'s gateway, obra, alert, slot and release. */
export function urlOf(entry: RouteEntry, of: Org): string {
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

/**
 * The org fixture on a backend: a SQLite file in a temp dir, or a new database on a throwaway
 * PostgreSQL started on first use. cleanup() stops PostgreSQL and removes the dirs.
 */
export function orgBackends(): { fixture(backend: Backend): Promise<OrgFixture>; cleanup(): Promise<void> } {
  let postgres: TestPostgres | undefined;
  const dirs: string[] = [];
  return {
    fixture: async (backend) => {
      if (backend === 'postgres') {
        postgres ??= await startPostgres();
        return orgFixture({ kind: 'postgres', url: await postgres.newDatabase() });
      }
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atalaya-org-'));
      dirs.push(dir);
      return orgFixture({ kind: 'sqlite', path: path.join(dir, 'relay.db') });
    },
    cleanup: async () => {
      await postgres?.stop();
      for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
