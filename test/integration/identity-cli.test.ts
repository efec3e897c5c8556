/**
 * `atalaya relay user|token` (issue 15 §5) as a child process on a relay's SQLite database: the
 * first owner is created with the password on stdin, never printed or logged; a generated
 * password and a user's token are printed once to stdout only; the token works against a relay
 * on the same database until its user is disabled; the config's operator token is listed.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { type UserCommandInput, userCommand } from '../../cli/relay-user.ts';
import { loadRelayConfigFile } from '../../cloud/config/load.ts';
import { hashApiToken, newApiToken } from '../../cloud/http/auth.ts';
import { Relay } from '../../cloud/main.ts';
import { newRelayKey } from '../../cloud/secrets.ts';
import { testLogger } from '../helpers/logger.ts';

const bin = path.resolve('bin/atalaya.mjs');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atalaya-identity-cli-'));
const env = { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('ATALAYA_'))), ATALAYA_RELAY_KEY: newRelayKey() };
let relay: Relay | undefined;
afterAll(async () => {
  await relay?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

function cli(args: string[], stdin = ''): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, 'relay', ...args, '-c', path.join(dir, 'relay.yaml')], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

/** The same command in this process (fast): its exit code and what it wrote. */
async function inProcess(input: Partial<UserCommandInput> & Pick<UserCommandInput, 'command' | 'sub'>, stdin = '') {
  let stdout = '';
  let stderr = '';
  const config = loadRelayConfigFile(path.join(dir, 'relay.yaml'), env);
  const status = await userCommand({ args: [], owner: false, generate: false, json: false, ...input }, config, {
    stdin: Readable.from([stdin]),
    stdout: { write: (c: string) => (stdout += c) },
    stderr: { write: (c: string) => (stderr += c) },
  });
  return { status, stdout, stderr };
}

describe('atalaya relay user and token', () => {
  it('creates the owner and users, prints a generated password and a token once, and the relay honours them', async () => {
    const operator = newApiToken();
    fs.writeFileSync(
      path.join(dir, 'relay.yaml'),
      `listen: {host: 127.0.0.1, port: 0}\nstorage: {kind: sqlite, path: relay.db}\napiTokens: [{name: ops, sha256: ${hashApiToken(operator)}}]\n`,
    );
    const secret = 'the owner password 1';
    const owner = await cli(['user', 'add', 'root', '--owner'], `${secret}\n`);
    expect(owner.status).toBe(0);
    expect(owner.stdout + owner.stderr).not.toContain(secret);

    const ana = await inProcess({ command: 'user', sub: 'add', args: ['ana'], role: 'admin', org: 'default', generate: true });
    expect(ana.status).toBe(0);
    const generated = ana.stdout.trim();
    expect(generated).toMatch(/^[A-Za-z0-9_-]{24}$/);
    expect(ana.stderr).not.toContain(generated);
    expect((await inProcess({ command: 'user', sub: 'add', args: ['eve'], role: 'owner', org: 'default' }, 'a long password\n')).status).toBe(2);

    const token = await cli(['token', 'add', '--user', 'ana', '--role', 'viewer', '--name', 'grafana']);
    expect(token.status).toBe(0);
    const plain = token.stdout.trim();
    expect(plain).toMatch(/^atk_/);
    expect(token.stderr).not.toContain(plain);
    // A token above its user's role is refused.
    expect((await inProcess({ command: 'token', sub: 'add', user: 'ana', role: 'compliance' })).status).toBe(1);

    const listed = await inProcess({ command: 'token', sub: 'list', json: true });
    const json = JSON.parse(listed.stdout) as { users: Array<{ name: string; role: string }>; config: Array<{ name: string }> };
    expect(json.users.map((t) => [t.name, t.role])).toEqual([['grafana', 'viewer']]);
    expect(json.config.map((t) => t.name)).toEqual(['ops']);
    const users = await inProcess({ command: 'user', sub: 'list' });
    expect(users.stdout).toMatch(/^root\s+root\s+\*\s+owner/m);
    expect(users.stdout + users.stderr).not.toMatch(/scrypt|atk_/);

    const config = loadRelayConfigFile(path.join(dir, 'relay.yaml'), env);
    relay = new Relay(config, { logger: testLogger(), env, dgaSchedule: false, anchorSchedule: false, alertsSchedule: false });
    await relay.start();
    const url = `http://127.0.0.1:${relay.address.port}`;
    const gateways = () => fetch(`${url}/v1/gateways`, { headers: { authorization: `Bearer ${plain}` } }).then((r) => r.status);
    expect(await gateways()).toBe(200);
    const signIn = await fetch(`${url}/v1/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'root', password: secret }),
    });
    expect(signIn.status).toBe(200);
    expect((await inProcess({ command: 'user', sub: 'disable', args: ['ana'] })).status).toBe(0);
    expect(await gateways()).toBe(401);

    const audit = (await (await fetch(`${url}/v1/audit?limit=50`, { headers: { authorization: `Bearer ${operator}` } })).json()) as {
      entries: Array<{ action: string; actor: string }>;
    };
    expect(audit.entries.filter((e) => e.actor.startsWith('cli:')).map((e) => e.action)).toEqual(['user.disable', 'token.add', 'user.add', 'user.add']);
    expect(JSON.stringify(audit)).not.toContain(secret);
  }, 60_000);

  it("audits gateway provisioning from the CLI in the gateway's organization, without its secret", async () => {
    const added = await cli(['gateway', 'add', 'gw-audit']);
    expect(added.status).toBe(0);
    const secret = added.stdout.trim();
    const entries = await relay!.auditor.query({ action: 'gateway.provision', limit: 10 });
    expect(entries.map((e) => [e.target, e.orgId, e.actor.startsWith('cli:')])).toEqual([['gw-audit', 'default', true]]);
    expect(JSON.stringify(entries)).not.toContain(secret);
  }, 30_000);
});
