/**
 * Remote configuration on the gateway (issue 16 §2), with real files in a temp dir and stand-in
 * agents: which source wins, what the config part refuses, probation and rollback, an interrupted
 * apply resolved at start, SIGHUP reloads with the same validation.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AgentConfig } from '../../agent/config/schema.ts';
import { RemoteConfigFiles } from '../../agent/fleet/config-files.ts';
import { ConfigPart } from '../../agent/fleet/config-part.ts';
import { judge, type ProbationSignals } from '../../agent/fleet/config-probation.ts';
import { ConfigSupervisor, type SupervisedAgent } from '../../agent/fleet/config-supervisor.ts';
import { testLogger } from '../helpers/logger.ts';
import { waitFor } from '../helpers/wait.ts';

const NOW = 1_800_000_000_000;
let now = NOW;
const clock = { now: () => now, monotonic: () => now };
const sha = (s: string): string => createHash('sha256').update(s, 'utf8').digest('hex');
const yaml = (interval: number, gateway = 'gw-1'): string =>
  `gateway: { id: ${gateway} }\nsync: { url: 'http://127.0.0.1:8080' }\nstatus: { enabled: false }\nmqtt: { enabled: false }\ndevices:\n  - { id: gas-1, profile: gas-detector, tcp: { host: 127.0.0.1, port: 1502 }, intervalMs: ${interval} }\n`;

let dir: string;
let local: string;

beforeEach(() => {
  now = NOW;
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atalaya-remote-config-'));
  local = path.join(dir, 'agent.yaml');
  fs.writeFileSync(local, yaml(1000));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('which source wins', () => {
  it('the remote config while it exists, the local file again after `agent config local`', () => {
    const files = new RemoteConfigFiles(local);
    expect(files.effective()).toBe(local);
    files.install(1, sha(yaml(500)), yaml(500), NOW);
    expect(files.effective()).toBe(files.remote);
    expect(fs.readFileSync(files.remote, 'utf8')).toBe(`# atalaya remote config: version 1 sha256 ${sha(yaml(500))}\n${yaml(500)}`);
    expect(files.useLocal()).toMatchObject({ applied: null, version: 1, state: 'local' });
    expect(files.effective()).toBe(local);
    expect(fs.readdirSync(dir).sort()).toEqual(['agent.yaml', 'agent.yaml.remote.state.json']);
  });
});

describe('config part', () => {
  function part(reloads: string[]): { part: ConfigPart; files: RemoteConfigFiles } {
    const files = new RemoteConfigFiles(local);
    return { files, part: new ConfigPart({ files, gatewayId: 'gw-1', clock, logger: testLogger(), reload: (why) => void reloads.push(why) }) };
  }

  it('refuses an invalid config with its path-level problems and installs nothing', async () => {
    const reloads: string[] = [];
    const { part: p, files } = part(reloads);
    const bad = yaml(10).replace('gas-detector', 'gas-detectr');
    await p.apply({ version: 4, yaml: bad, sha256: sha(bad) });
    expect(p.report()).toMatchObject({ applied: null, version: 4, state: 'refused', reason: expect.stringContaining('devices[0].intervalMs') });
    expect(p.report().reason).toContain('devices[0].profile');
    expect(files.effective()).toBe(local);
    expect(reloads).toEqual([]);
  });

  it('refuses a config for another gateway or whose sha256 does not match', async () => {
    const { part: p } = part([]);
    await p.apply({ version: 1, yaml: yaml(500, 'gw-2'), sha256: sha(yaml(500, 'gw-2')) });
    expect(p.report()).toMatchObject({ state: 'refused', reason: expect.stringContaining('gateway.id') });
    await p.apply({ version: 2, yaml: yaml(500), sha256: sha('something else') });
    expect(p.report()).toMatchObject({ version: 2, state: 'refused' });
  });

  it('installs a valid config on probation and asks for a reload; the same version again is ignored', async () => {
    const reloads: string[] = [];
    const { part: p, files } = part(reloads);
    await p.apply({ version: 3, yaml: yaml(500), sha256: sha(yaml(500)) });
    expect(p.report()).toEqual({ applied: 3, version: 3, state: 'probation', reason: null });
    expect(files.effective()).toBe(files.remote);
    await p.apply({ version: 3, yaml: yaml(500), sha256: sha(yaml(500)) });
    expect(reloads).toEqual(['remote config v3']);
  });
});

describe('probation', () => {
  const signals = (over: Partial<{ devices: number; ok: number | null; relay: boolean; seen: number | null }>): ProbationSignals => ({
    devices: over.devices ?? 1,
    lastDeviceOkAt: () => over.ok ?? null,
    relay: over.relay ?? true,
    lastRelayAt: () => over.seen ?? null,
  });

  it('passes once a device answered and the relay was reached after the config was applied', () => {
    expect(judge(signals({ ok: NOW + 1, seen: NOW + 2 }), NOW, 5000, NOW + 10)).toEqual({ ok: true });
    expect(judge(signals({ ok: NOW - 1, seen: NOW + 2 }), NOW, 5000, NOW + 10)).toBeUndefined();
    expect(judge(signals({ devices: 0, relay: false }), NOW, 5000, NOW)).toEqual({ ok: true });
  });

  it('fails at its deadline and says what was missing', () => {
    expect(judge(signals({ seen: NOW + 2 }), NOW, 5000, NOW + 5000)).toEqual({
      ok: false,
      reason: 'no device answered (1 configured) within 5 s of applying it',
    });
    expect(judge(signals({ ok: NOW + 1 }), NOW, 5000, NOW + 5000)).toEqual({ ok: false, reason: 'the relay was not reached within 5 s of applying it' });
  });
});

describe('config supervisor', () => {
  interface Fake extends SupervisedAgent {
    readonly config: AgentConfig;
    running: boolean;
    ok: number | null;
  }

  function supervisor(built: Fake[], probationMs = 200, failStart?: (c: AgentConfig) => boolean): ConfigSupervisor {
    return new ConfigSupervisor({
      localConfig: local,
      clock,
      logger: testLogger(),
      probationMs: () => probationMs,
      makeAgent: (config) => {
        const fake: Fake = {
          config,
          running: false,
          ok: null,
          start: async () => {
            if (failStart?.(config) === true) throw Object.assign(new Error('cannot start'), { code: 'ATALAYA_TEST_START' });
            fake.running = true;
          },
          stop: async () => {
            fake.running = false;
          },
          signals: { devices: 1, lastDeviceOkAt: () => fake.ok, relay: false, lastRelayAt: () => null },
        };
        built.push(fake);
        return fake;
      },
    });
  }

  it('rolls back on its own when probation fails, to the last good config, in the same process', async () => {
    const built: Fake[] = [];
    const s = supervisor(built);
    await s.start();
    const files = s.files;
    files.install(1, sha(yaml(500)), yaml(500), now);
    await s.reload('remote config v1');
    expect(built.at(-1)?.config.devices[0]?.intervalMs).toBe(500);
    built.at(-1)!.ok = now + 1;
    await waitFor(() => files.state().state === 'applied', 'v1 confirmed', 5000);
    files.install(2, sha(yaml(700)), yaml(700), now);
    await s.reload('remote config v2');
    expect(built.at(-1)?.config.devices[0]?.intervalMs).toBe(700);
    now += 1000; // past the deadline, no device answered
    await waitFor(() => files.state().state === 'rolled_back', 'v2 rolled back', 5000);
    await waitFor(() => built.at(-1)?.config.devices[0]?.intervalMs === 500 && built.at(-1)?.running, 'running v1 again', 5000);
    expect(files.state()).toMatchObject({ applied: 1, version: 2, reason: expect.stringContaining('no device answered') });
    expect(built.filter((b) => b.running)).toHaveLength(1);
    await s.stop();
    expect(built.some((b) => b.running)).toBe(false);
  });

  it('at start, rolls back a config still on probation when the process died', async () => {
    const files = new RemoteConfigFiles(local);
    files.install(5, sha(yaml(500)), yaml(500), now);
    const built: Fake[] = [];
    const s = supervisor(built);
    await s.start();
    expect(files.effective()).toBe(local);
    expect(files.state()).toMatchObject({ applied: null, version: 5, state: 'rolled_back' });
    expect(built.at(-1)?.config.devices[0]?.intervalMs).toBe(1000);
    await s.stop();
  });

  it('rolls back at once a remote config the agent cannot start on', async () => {
    const built: Fake[] = [];
    const s = supervisor(built, 200, (c) => c.devices[0]?.intervalMs === 700);
    await s.start();
    s.files.install(2, sha(yaml(700)), yaml(700), now);
    await s.reload('remote config v2');
    expect(s.files.state()).toMatchObject({ state: 'rolled_back', reason: expect.stringContaining('ATALAYA_TEST_START') });
    expect(built.at(-1)).toMatchObject({ running: true });
    expect(built.at(-1)?.config.devices[0]?.intervalMs).toBe(1000);
    await s.stop();
  });

  it('SIGHUP re-reads the local file with the same validation: an invalid one leaves the agent running as it was', async () => {
    const built: Fake[] = [];
    const s = supervisor(built);
    await s.start();
    fs.writeFileSync(local, yaml(10));
    await s.reload('SIGHUP');
    expect(built).toHaveLength(1);
    expect(built[0]?.running).toBe(true);
    fs.writeFileSync(local, yaml(2000));
    await s.reload('SIGHUP');
    expect(built).toHaveLength(2);
    expect(built[1]?.config.devices[0]?.intervalMs).toBe(2000);
    expect(built[0]?.running).toBe(false);
    await s.stop();
  });
});
