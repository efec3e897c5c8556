/**
 * `atalaya relay org add|list`, `gateway add --org` and `gateway move` (issue 15 §1, §5): the real
 * CLI in a child process for what a person types first, the same command in process (cli/relay-org.ts)
 * for its refusals, on one SQLite relay database.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { withRelayDatabase } from '../../cli/relay-database.ts';
import { type OrgCommandInput, orgCommand } from '../../cli/relay-org.ts';
import { loadRelayConfigFile } from '../../cloud/config/load.ts';
import { newRelayKey } from '../../cloud/secrets.ts';
import { STORE_UNKNOWN_ORG } from '../../cloud/store/errors.ts';

const bin = path.resolve('bin/atalaya.mjs');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atalaya-org-cli-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const env = { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('ATALAYA_'))), ATALAYA_RELAY_KEY: newRelayKey() };
const file = path.join(dir, 'relay.yaml');
fs.writeFileSync(file, `listen: {host: 127.0.0.1, port: 0}\nstorage: {kind: sqlite, path: ${path.join(dir, 'relay.db')}}\n`);

function run(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [bin, 'relay', ...args, '-c', file], { encoding: 'utf8', timeout: 60_000, env });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

async function inProcess(input: Partial<OrgCommandInput> & Pick<OrgCommandInput, 'command' | 'sub'>): Promise<{ status: number; stdout: string }> {
  let stdout = '';
  const io = { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: () => true } };
  const status = await orgCommand({ args: [], json: false, ...input }, loadRelayConfigFile(file, env), io);
  return { status, stdout };
}

describe('atalaya relay org', () => {
  it('adds an organization and a gateway in it; the gateway list shows it', () => {
    expect(run('org', 'add', 'acme', '--name', 'Acme Minería').status).toBe(0);
    expect(run('gateway', 'add', 'gw-acme', '--org', 'acme').status).toBe(0);
    const list = run('gateway', 'list').stdout.split('\n');
    expect(list[0]).toMatch(/^ID\s+ORG\s+CREATED/);
    expect(list[1]).toMatch(/^gw-acme\s+acme\s/);
  }, 120_000);

  it('refuses a taken or malformed id and an unknown organization, moves a gateway, and lists', async () => {
    expect((await inProcess({ command: 'org', sub: 'add', args: ['acme'], name: 'again' })).status).toBe(1);
    expect((await inProcess({ command: 'org', sub: 'add', args: ['Bad Id'], name: 'x' })).status).toBe(2);
    expect((await inProcess({ command: 'org', sub: 'add', args: ['beta'] })).status).toBe(2);
    const config = loadRelayConfigFile(file, env);
    await withRelayDatabase(config.storage, async (db) => {
      await expect(db.records.addGateway('gw-x', 'sealed', 1, 'nope')).rejects.toMatchObject({ code: STORE_UNKNOWN_ORG });
      await db.records.addGateway('gw-old', 'sealed', 1);
    });
    expect((await inProcess({ command: 'gateway', sub: 'move', args: ['gw-old'], org: 'nope' })).status).toBe(1);
    expect((await inProcess({ command: 'gateway', sub: 'move', args: ['gw-none'], org: 'acme' })).status).toBe(1);
    expect((await inProcess({ command: 'gateway', sub: 'move', args: ['gw-old'], org: 'acme' })).status).toBe(0);
    const orgs = JSON.parse((await inProcess({ command: 'org', sub: 'list', json: true })).stdout) as Array<{ id: string; name: string; gateways: number }>;
    expect(orgs.map((o) => [o.id, o.name, o.gateways])).toEqual([
      ['acme', 'Acme Minería', 2],
      ['default', 'Default', 0],
    ]);
  });
});
