import { describe, expect, it } from 'vitest';
import { alertsConfigSchema } from '../../cloud/alerts/config.ts';
import { type PlanContext, planAdvance, planOpen } from '../../cloud/alerts/plan.ts';
import type { Alert, AlertsStore, NewAlert } from '../../cloud/store/alerts-types.ts';

/**
 * Issue 15 §1: an alert of organization A never notifies organization B's recipients. A group with
 * `org` is told only of that organization's alerts; a group without one (the platform's) of all;
 * a relay-wide alert (anchoring) only of platform groups.
 */
const config = alertsConfigSchema.parse({
  enabled: true,
  channels: { webhook: {} },
  groups: {
    ops: { members: [{ name: 'op', webhook: 'https://hooks.example/ops' }] },
    'a-team': { org: 'a', members: [{ name: 'ana', webhook: 'https://hooks.example/a' }] },
    'b-team': { org: 'b', members: [{ name: 'beto', webhook: 'https://hooks.example/b' }] },
  },
  rules: [{ name: 'all', kinds: ['alarm', 'dga_late', 'anchor_errors'], groups: ['ops', 'a-team', 'b-team'], escalation: ['b-team'], escalateAfterMinutes: 1 }],
});

const store = { recentCount: async () => 0, lastRouted: async () => undefined } as unknown as AlertsStore;
const ORG_OF: Record<string, string> = { 'gw-a': 'a', 'gw-b': 'b' };
const ctx = (): PlanContext => ({ config, store, ackKey: Buffer.alloc(32), orgOf: async (g) => ORG_OF[g], orgs: new Map() });

const alert = (over: Partial<NewAlert>): NewAlert => ({
  id: 'x:1',
  family: 'x',
  kind: 'alarm',
  severity: 'alarm',
  gateway: null,
  device: null,
  channel: null,
  obra: null,
  title: 't',
  facts: {},
  openedAt: 1,
  ...over,
});

const addresses = (messages: ReadonlyArray<{ address: string }>): string[] => messages.map((m) => m.address).sort();

describe('alert recipients per organization', () => {
  it("an alert of A's gateway reaches A's group and the platform's, never B's", async () => {
    const { messages } = await planOpen(ctx(), alert({ gateway: 'gw-a' }), 1, true);
    expect(addresses(messages)).toEqual(['https://hooks.example/a', 'https://hooks.example/ops']);
  });

  it("an obra's alert follows its gateway's organization", async () => {
    const { messages } = await planOpen(ctx(), alert({ kind: 'dga_late', obra: 'OB-0202-2', ownerGateway: 'gw-b' }), 1, true);
    expect(addresses(messages)).toEqual(['https://hooks.example/b', 'https://hooks.example/ops']);
  });

  it('a relay-wide alert reaches platform groups only', async () => {
    const { messages } = await planOpen(ctx(), alert({ kind: 'anchor_errors' }), 1, true);
    expect(addresses(messages)).toEqual(['https://hooks.example/ops']);
  });

  it("escalation to B's group is skipped for A's stored alert", async () => {
    const stored: Alert = { ...alert({ gateway: 'gw-a' }), state: 'open', closedAt: null, ackedAt: null, ackedBy: null, updatedAt: 1, orgId: 'a' };
    const route = { alertId: stored.id, rule: 'all', level: 0, escalateAt: 60_001, remindAt: null, reminders: 0, createdAt: 1 };
    const { after, messages } = await planAdvance(ctx(), stored, route, 60_001);
    expect(after.level).toBe(1);
    expect(messages).toEqual([]);
  });

  it('a group names its organization by id', () => {
    const bad = alertsConfigSchema.safeParse({ groups: { g: { org: 'Not An Id', members: [{ name: 'x', email: 'x@example.cl' }] } } });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.path).toEqual(['groups', 'g', 'org']);
  });
});
