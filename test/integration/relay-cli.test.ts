import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { request } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/wait.ts';
import { batchOf, readings, send } from './relay-setup.ts';

const bin = path.resolve('bin/atalaya.mjs');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atalaya-relay-cli-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** The parent's environment without any relay setting that would change what is tested. */
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('ATALAYA_')));

function run(args: string[], extraEnv: Record<string, string> = {}): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [bin, 'relay', ...args], { encoding: 'utf8', timeout: 60_000, env: { ...env, ...extraEnv } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('atalaya relay CLI', () => {
  it('has help on every subcommand and refuses unknown ones', () => {
    for (const args of [['--help'], ['gateway', 'add', '--help']]) {
      const r = run(args);
      expect(r.status).toBe(0);
      expect(r.stdout).toContain('atalaya relay gateway add <id>');
    }
    expect(run(['frobnicate']).status).toBe(2);
    expect(run(['gateway', 'remove', 'x', '-c', '/dev/null']).status).toBe(2);
  });

  it('--check lists every config problem with its path', () => {
    const file = path.join(dir, 'bad.yaml');
    fs.writeFileSync(file, 'listen: {prot: 8080}\nstorage: {kind: sqlite, pth: x.db}\n');
    const r = run(['--check', '-c', file]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("listen.prot: unknown key (did you mean 'port'?)");
    expect(r.stderr).toContain("storage.pth: unknown key (did you mean 'path'?)");
    // The example's keyFile is not on this machine: --check refuses it as start would, unless the key comes from the environment.
    expect(run(['--check', '-c', path.resolve('deploy/examples/relay.yaml')]).status).toBe(2);
    expect(run(['--check', '-c', path.resolve('deploy/examples/relay.yaml')], { ATALAYA_RELAY_KEY: Buffer.alloc(32, 7).toString('base64') }).status).toBe(0);
  });

  it('keygen, token add and gateway add give a relay whose printed secret and token work, and SIGTERM stops it', async () => {
    const keyFile = path.join(dir, 'relay.key');
    expect(run(['keygen', '--out', keyFile]).status).toBe(0);
    expect(fs.statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(Buffer.from(fs.readFileSync(keyFile, 'utf8').trim(), 'base64')).toHaveLength(32);
    expect(run(['keygen', '--out', keyFile]).status).toBe(1);

    const tokenRun = run(['token', 'add']);
    expect(tokenRun.status).toBe(0);
    const token = tokenRun.stdout.trim();
    const hash = /^\s+- ([0-9a-f]{64})$/m.exec(tokenRun.stderr)?.[1];
    expect(hash).toBeDefined();

    const config = path.join(dir, 'relay.yaml');
    fs.writeFileSync(config, `listen: {host: 127.0.0.1, port: 0}\nstorage: {kind: sqlite, path: data/relay.db}\nkeyFile: relay.key\napiTokens: ['${hash}']\n`);
    const added = run(['gateway', 'add', 'gw-cli', '-c', config]);
    expect(added.status).toBe(0);
    const secret = added.stdout.trim();
    expect(secret).toMatch(/^[\w-]{43}$/);
    expect(run(['gateway', 'add', 'gw-cli', '-c', config]).status).toBe(1);
    expect(run(['gateway', 'list', '-c', config]).stdout).toMatch(/^gw-cli\s/m);

    const relay = spawn(process.execPath, [bin, 'relay', '-c', config], { stdio: ['ignore', 'pipe', 'pipe'], env });
    let out = '';
    relay.stdout.on('data', (d: Buffer) => (out += d.toString()));
    relay.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => relay.once('exit', resolve));
    try {
      const listening = (): { port: number } | undefined =>
        out
          .split('\n')
          .slice(0, -1) // complete lines only
          .filter((l) => l.includes('"msg":"relay listening"'))
          .map((l) => JSON.parse(l) as { port: number })[0];
      const { port } = await waitFor(listening, 'relay listening');
      const url = `http://127.0.0.1:${port}`;
      const res = await send(url, secret, batchOf('gw-cli', readings(3)));
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ stored: 3 });
      const read = await request(`${url}/v1/readings?gateway=gw-cli`, { headers: { authorization: `Bearer ${token}` } });
      expect(read.statusCode).toBe(200);
      expect(((await read.body.json()) as { items: unknown[] }).items).toHaveLength(3);
    } finally {
      relay.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(out).toContain('"msg":"stopped"');
    expect(out).not.toContain(secret);
    expect(out).not.toContain(token);
  });

  it('says why it cannot start without a relay key', () => {
    const config = path.join(dir, 'nokey.yaml');
    fs.writeFileSync(config, `listen: {host: 127.0.0.1, port: 0}\nstorage: {kind: sqlite, path: nokey/relay.db}\n`);
    const r = run(['-c', config]);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('"code":"ATALAYA_RELAY_KEY_MISSING"');
    expect(r.stderr).toContain('atalaya relay: ');
  });
});
