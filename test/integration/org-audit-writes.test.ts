/**
 * Issue 15 §4 on issue 16's writes: a gateway config set, a command created and a release rollout
 * are each audited with who, the organization (the gateway's; none for a rollout to every gateway,
 * a platform matter), the time and what changed: a config's version and sha256, never its YAML.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { NOW, ORGS, type OrgFixture, orgFixture, RELEASE } from './org-setup.ts';

const YAML = `gateway: { id: gw-a }
sync: { url: 'http://127.0.0.1:8080' }
devices:
  - { id: gas-1, profile: gas-detector, tcp: { host: 127.0.0.1, port: 1502 }, intervalMs: 500 }
`;

let f: OrgFixture;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atalaya-org-audit-'));

beforeAll(async () => {
  f = await orgFixture({ kind: 'sqlite', path: path.join(dir, 'relay.db') });
}, 60_000);
afterAll(async () => {
  await f?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const call = (method: 'PUT' | 'POST', url: string, token: string, payload: string | object, type = 'application/json') =>
  f.app.inject({ method, url, headers: { authorization: `Bearer ${token}`, 'content-type': type }, payload });
const audit = (action: string) => f.db.identity.queryAudit({ action, limit: 10 });

it("an admin's config set: its version and sha256 in its organization's audit, never the YAML", async () => {
  const res = await call('PUT', `/v1/gateways/${ORGS.a.gateway}/config`, f.tokens.admin, YAML, 'application/yaml');
  expect(res.statusCode).toBe(201);
  const { version, sha256 } = res.json() as { version: number; sha256: string };
  const entries = await audit('gateway.config');
  expect(entries).toEqual([expect.objectContaining({ at: NOW, actor: 'a-admin', orgId: 'a', target: ORGS.a.gateway, details: { version, sha256 } })]);
  expect(JSON.stringify(entries)).not.toContain('gas-detector');
});

it("a technician's command: kind and args in the gateway's organization's audit", async () => {
  const args = { device: 'gas-1', channel: 'ch4', rule: 'hi', by: 'ana' };
  const res = await call('POST', `/v1/gateways/${ORGS.a.gateway}/commands`, f.tokens.technician, { kind: 'alarm.ack', args });
  expect(res.statusCode).toBe(201);
  expect(await audit('gateway.command')).toEqual([
    expect.objectContaining({ actor: 'a-technician', orgId: 'a', target: ORGS.a.gateway, details: { command: res.json().id, kind: 'alarm.ack', args } }),
  ]);
});

it("the owner's rollout to every gateway: audited without an organization", async () => {
  const res = await call('POST', `/v1/releases/${RELEASE}/rollout`, f.token, { percent: 10 });
  expect(res.statusCode).toBe(200);
  expect(await audit('release.rollout')).toEqual([
    expect.objectContaining({
      actor: 'ops',
      orgId: null,
      target: RELEASE,
      details: { rollouts: res.json().rollouts, targets: [{ kind: 'all' }], percent: 10 },
    }),
  ]);
});
