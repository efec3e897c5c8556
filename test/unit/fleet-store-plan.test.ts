import { describe, expect, it } from 'vitest';
import { FLEET_SQL } from '../../cloud/store/fleet-sql.ts';
import { relayPlanDb } from '../helpers/relay-plan-db.ts';

const { plan } = relayPlanDb();

describe('fleet statements', () => {
  it.each(['get', 'history', 'pruneHistory'] as const)('%s searches by primary key', (name) => {
    const steps = plan(FLEET_SQL[name]);
    expect(steps.some((s) => /SEARCH .* USING PRIMARY KEY/.test(s))).toBe(true);
    expect(steps.filter((s) => /^SCAN /.test(s))).toEqual([]);
  });

  it.each(['upsertPoll', 'insertHistory'] as const)('%s scans nothing', (name) => {
    expect(plan(FLEET_SQL[name]).filter((s) => /^SCAN /.test(s))).toEqual([]);
  });
});
