import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../agent/config/load.ts';
import { Agent } from '../../agent/main.ts';
import { hashStatusToken } from '../../agent/status/auth.ts';
import { STATUS_LISTEN, STATUS_TOKENS_INVALID } from '../../agent/status/errors.ts';
import { isAtalayaError } from '../../protocols/errors.ts';
import { testLogger } from '../helpers/logger.ts';
import { statusUrl } from './status-setup.ts';

describe('status server in the agent lifecycle', () => {
  let dir: string | undefined;
  let agent: Agent | undefined;
  let blocker: net.Server | undefined;
  afterEach(async () => {
    await agent?.stop();
    await new Promise<void>((resolve) => (blocker === undefined ? resolve() : blocker.close(() => resolve())));
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    agent = blocker = dir = undefined;
  });

  function makeAgent(status: Record<string, unknown>, env: NodeJS.ProcessEnv = {}): Agent {
    dir = mkdtempSync(path.join(tmpdir(), 'atalaya-status-life-'));
    const config = parseConfig({ gateway: { id: 'gw-life' }, buffer: { path: path.join(dir, 'buffer.db') }, mqtt: { enabled: false }, status });
    return new Agent(config, { logger: testLogger(), env });
  }

  async function startError(a: Agent): Promise<unknown> {
    try {
      await a.start();
    } catch (err) {
      return err;
    }
    return undefined;
  }

  it('fails the start with STATUS_LISTEN when its port is taken, and stops what it started', async () => {
    blocker = net.createServer();
    await new Promise<void>((resolve) => blocker!.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as net.AddressInfo).port;
    const a = (agent = makeAgent({ host: '127.0.0.1', port }));
    const err = await startError(a);
    expect(isAtalayaError(err, STATUS_LISTEN)).toBe(true);
    // The buffer was stopped with the rest: appending is refused.
    await expect(a.buffer.append([])).rejects.toThrow();
    expect(a.statusAddress).toBeUndefined();
  });

  it('refuses a malformed ATALAYA_STATUS_TOKENS before anything starts', async () => {
    const a = (agent = makeAgent({ host: '127.0.0.1', port: 0 }, { ATALAYA_STATUS_TOKENS: 'nope' }));
    expect(isAtalayaError(await startError(a), STATUS_TOKENS_INVALID)).toBe(true);
    expect(a.statusAddress).toBeUndefined();
  });

  it('accepts a token given only in ATALAYA_STATUS_TOKENS; serves nothing when disabled', async () => {
    const token = 'ats_from-the-environment';
    const a = (agent = makeAgent({ host: '127.0.0.1', port: 0 }, { ATALAYA_STATUS_TOKENS: hashStatusToken(token) }));
    await a.start();
    const ok = await fetch(`${statusUrl(a)}/api/devices`, { headers: { authorization: `Bearer ${token}` } });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ devices: [] });
    const url = statusUrl(a);
    await a.stop();
    await expect(fetch(`${url}/api/devices`)).rejects.toThrow();

    const off = makeAgent({ enabled: false });
    agent = off;
    await off.start();
    expect(off.statusAddress).toBeUndefined();
  });

  it('atalaya agent token add prints a token and the sha256 to configure', () => {
    const r = spawnSync(process.execPath, [path.resolve('bin/atalaya.mjs'), 'agent', 'token', 'add'], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status).toBe(0);
    const token = r.stdout.trim();
    expect(token).toMatch(/^ats_[A-Za-z0-9_-]{43}$/);
    expect(r.stderr).toContain(`status:\n  tokens:\n    - ${hashStatusToken(token)}\n`);
    expect(spawnSync(process.execPath, [path.resolve('bin/atalaya.mjs'), 'agent', 'token'], { encoding: 'utf8', timeout: 60_000 }).status).toBe(2);
  });
});
