/**
 * Issue 16 §2–3 proof with real processes: a relay and an agent (child processes) and the Modbus
 * simulator. Remote config is applied without a process restart (a device added, an alarm
 * threshold changed, its readings counted at the relay), rolled back on its own when it points
 * every device at a dead port, refused at the relay when invalid; a remote ack clears a latched
 * CH4 alarm on the gateway and its transition syncs back; a SIGKILL mid-apply comes back on a
 * whole config. One relay and one agent process serve every case, in order.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../protocols/clock.ts';
import { ModbusSimulator } from '../../simulators/modbus/simulator.ts';
import { startAgentProcess } from '../helpers/agent-process.ts';
import { testLogger } from '../helpers/logger.ts';
import {
  type AtalayaProcess,
  addGateway,
  allRelayRecords,
  cleanEnv,
  type RelayProcess,
  runAtalaya,
  startRelayProcess,
  writeRelayConfig,
} from '../helpers/relay-process.ts';
import { waitFor } from '../helpers/wait.ts';
import { STATUS_TOKEN, statusSection } from './status-setup.ts';

const GW = 'gw-remote';
const PROBATION_MS = 3000;

let dir: string;
let sim: ModbusSimulator;
let relay: RelayProcess;
let agent: AtalayaProcess | undefined;
let token: string;
let relayConfig: string;
let agentConfig: string;
let env: NodeJS.ProcessEnv;
let statusUrl: string;

/** An agent config as an operator writes it; `devices` by port, CH4 high2 at `high2` %LEL (latching). */
function agentYaml(devices: Array<{ id: string; profile: string; port: number; unitId: number }>, high2: number, intervalMs = 300): string {
  return `${JSON.stringify(
    {
      gateway: { id: GW },
      buffer: { path: 'buffer.db' },
      devices: devices.map((d) => ({
        id: d.id,
        profile: d.profile,
        tcp: { host: '127.0.0.1', port: d.port, timeoutMs: 200 },
        unitId: d.unitId,
        intervalMs,
        ...(d.profile === 'flowmeter' ? { params: { sensorDepthM: 40 } } : {}),
      })),
      mqtt: { enabled: false },
      sync: { enabled: true, url: relay.url, idleMs: 200, backoff: { initialMs: 100, maxMs: 1000 } },
      fleet: { intervalMs: 1000, configProbationMs: PROBATION_MS },
      status: statusSection,
      alarms: {
        profiles: {
          'gas-detector': { ch4: [{ rule: 'high2', kind: 'high', level: 'alarm', threshold: high2, hysteresis: 2, latching: true }] },
        },
      },
    },
    null,
    2,
  )}\n`;
}

const gas = () => ({ id: 'gas-1', profile: 'gas-detector', port: sim.tcpPort!, unitId: 1 });
const flow = () => ({ id: 'flow-1', profile: 'flowmeter', port: sim.tcpPort!, unitId: 2 });

// biome-ignore lint/suspicious/noExplicitAny: a JSON answer of the relay API, read loosely by the test
async function api(method: 'GET' | 'POST' | 'PUT', url: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await request(`${relay.url}${url}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.statusCode, body: await res.body.json() };
}

/** `atalaya relay gateway config set` with `yaml` from a file. */
async function configSet(yaml: string, name: string): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const file = path.join(dir, name);
  fs.writeFileSync(file, yaml);
  return runAtalaya(['relay', 'gateway', 'config', 'set', GW, file, '-c', relayConfig]);
}

// biome-ignore lint/suspicious/noExplicitAny: a JSON answer of the relay API, read loosely by the test
const configView = async (): Promise<any> => (await api('GET', `/v1/gateways/${GW}/config`)).body;

async function statusAlarms(): Promise<Array<Record<string, unknown>>> {
  const res = await request(`${statusUrl}/api/alarms`, { headers: { authorization: `Bearer ${STATUS_TOKEN}` } });
  return ((await res.body.json()) as { active: Array<Record<string, unknown>> }).active;
}

async function startAgent(): Promise<AtalayaProcess> {
  const p = await startAgentProcess(agentConfig, env);
  const { port } = await p.waitForMessage<{ port: number }>('status page listening');
  statusUrl = `http://127.0.0.1:${port}`;
  // Each config swap rebuilds the status page, on a new port here (port 0).
  p.onLine((line) => {
    if (!line.includes('"msg":"status page listening"')) return;
    statusUrl = `http://127.0.0.1:${(JSON.parse(line) as { port: number }).port}`;
  });
  return p;
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atalaya-fleet-config-'));
  // CH4 steady at 25 %LEL: above the first config's 20 (latched alarm), below the second's 30 − 2.
  sim = new ModbusSimulator({
    devices: [
      { unitId: 1, kind: 'gas-detector', scenario: 'steady', params: { ch4: 25 } },
      { unitId: 2, kind: 'flowmeter', scenario: 'steady' },
    ],
    tcp: { host: '127.0.0.1', port: 0 },
    clock: systemClock,
    logger: testLogger(),
    seed: 1,
  });
  await sim.start();
  const setup = writeRelayConfig(dir, { kind: 'sqlite', path: 'relay.db' });
  token = setup.token;
  relayConfig = setup.configFile;
  const secret = await addGateway(relayConfig, GW);
  relay = await startRelayProcess(relayConfig);
  env = cleanEnv({ ATALAYA_GATEWAY_SECRET: secret });
  agentConfig = path.join(dir, 'agent.yaml');
  fs.writeFileSync(agentConfig, agentYaml([gas()], 20));
  agent = await startAgent();
}, 60_000);

afterAll(async () => {
  await agent?.stop();
  await relay?.process.stop();
  await sim?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('remote configuration and commands, real processes', () => {
  it('(c) refuses an invalid config at the relay with path errors; nothing is delivered', async () => {
    const bad = agentYaml([{ ...gas(), profile: 'gas-detectr' }], 20).replace('"intervalMs": 300', '"intervalMs": 10');
    const r = await configSet(bad, 'bad.yaml');
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('devices[0].profile');
    expect(r.stderr).toContain('devices[0].intervalMs');
    expect(await configView()).toMatchObject({ desired: null, status: 'none' });
  });

  it('(a, d) adds a device and raises a threshold without a restart; a remote ack clears the latched CH4 alarm and syncs back', async () => {
    await waitFor(async () => (await statusAlarms()).some((a) => a['channel'] === 'ch4' && a['rule'] === 'high2'), 'the CH4 alarm latched', 20_000);
    const r = await configSet(agentYaml([gas(), flow()], 30), 'v1.yaml');
    expect(r.status, r.stderr).toBe(0);
    await waitFor(async () => (await configView()).status === 'in_sync', 'config v1 applied and confirmed', 20_000);
    expect(agent!.running).toBe(true);
    expect((await configView()).gateway).toMatchObject({ applied: 1, version: 1, state: 'applied' });
    // The health report carries the version too (the Fleet tab's config column).
    await waitFor(async () => (await api('GET', `/v1/fleet/${GW}`)).body.configVersion === '1', 'config version 1 in the health report');
    // The new device's readings reach the relay.
    await waitFor(async () => (await allRelayRecords(relay.url, token, `gateway=${GW}&device=flow-1`)).length >= 6, 'flow-1 readings at the relay', 15_000);
    // 25 %LEL is below the new threshold (30 − 2): the condition cleared, the alarm stays latched for an ack.
    expect(await statusAlarms()).toEqual([expect.objectContaining({ channel: 'ch4', rule: 'high2', latched: true })]);

    const created = await api('POST', `/v1/gateways/${GW}/commands`, { kind: 'alarm.ack', args: { device: 'gas-1', channel: 'ch4', rule: 'high2' } });
    expect(created.status).toBe(201);
    await waitFor(async () => (await statusAlarms()).length === 0, 'the alarm cleared on the gateway', 15_000);
    const commands = await waitFor(async () => {
      const list = (await api('GET', `/v1/gateways/${GW}/commands`)).body.commands as Array<Record<string, unknown>>;
      return list[0]?.['state'] === 'ok' ? list : undefined;
    }, 'the outcome at the relay');
    expect(commands[0]).toMatchObject({ id: created.body.id, outcome: { result: { acknowledged: true } } });
    // The transition is a record that synced back.
    await waitFor(
      async () =>
        (await allRelayRecords(relay.url, token, `gateway=${GW}&device=gas-1&kind=alarm`)).some((r) => (r['alarm'] as { state?: string })?.state === 'cleared'),
      'the cleared transition at the relay',
    );
    // The same command again is not run twice: a second ack has nothing to acknowledge and is refused.
    const again = await api('POST', `/v1/gateways/${GW}/commands`, { kind: 'alarm.ack', args: { device: 'gas-1', channel: 'ch4', rule: 'high2' } });
    const second = await waitFor(async () => {
      const list = (await api('GET', `/v1/gateways/${GW}/commands`)).body.commands as Array<Record<string, unknown>>;
      const c = list.find((x) => x['id'] === again.body.id);
      return c?.['state'] === 'pending' ? undefined : c;
    }, 'the second outcome');
    expect(second['state']).toBe('refused');
  }, 60_000);

  it('(b) rolls back on its own a config pointing every device at a dead port, and the relay shows why', async () => {
    const dead = { port: 1 };
    const r = await configSet(
      agentYaml(
        [
          { ...gas(), ...dead },
          { ...flow(), ...dead },
        ],
        30,
      ),
      'v2.yaml',
    );
    expect(r.status, r.stderr).toBe(0);
    const view = await waitFor(
      async () => {
        const v = await configView();
        return v.status === 'rolled_back' ? v : undefined;
      },
      'the rollback reported',
      PROBATION_MS + 15_000,
    );
    expect(view.gateway).toMatchObject({ version: 2, applied: 1, state: 'rolled_back', reason: expect.stringContaining('no device answered') });
    expect(agent!.running).toBe(true);
    const history = (await api('GET', `/v1/gateways/${GW}/config/history`)).body;
    expect(history.reports.map((x: { state: string }) => x.state)).toContain('rolled_back');
    // Back on v1: the flowmeter answers again.
    const before = (await allRelayRecords(relay.url, token, `gateway=${GW}&device=flow-1`)).length;
    await waitFor(
      async () => (await allRelayRecords(relay.url, token, `gateway=${GW}&device=flow-1`)).length > before + 3,
      'readings again after the rollback',
    );
  }, 40_000);

  it('(e) SIGKILL while a config is applied: the agent comes back on a whole config, the last good one', async () => {
    const running = agent!;
    // A line from now on (waitForMessage would also match the earlier versions' lines).
    const installed = new Promise<void>((resolve) => {
      const off = running.onLine((line) => {
        if (line.includes('"msg":"remote config installed, on probation"') && line.includes('"version":3')) {
          off();
          resolve();
        }
      });
    });
    const r = await configSet(agentYaml([gas(), flow()], 30, 400), 'v3.yaml');
    expect(r.status, r.stderr).toBe(0);
    await installed;
    await agent!.kill('SIGKILL');
    const remote = fs.readFileSync(`${agentConfig}.remote.yaml`, 'utf8');
    expect(remote).toMatch(/^# atalaya remote config: version 3 sha256 [0-9a-f]{64}\n/);
    agent = await startAgent();
    // Rolled back to v1 (the last config that passed probation), reported with the reason.
    const view = await waitFor(async () => {
      const v = await configView();
      return v.gateway?.version === 3 && v.gateway.state === 'rolled_back' ? v : undefined;
    }, 'the interrupted apply reported');
    expect(view.gateway).toMatchObject({ applied: 1, reason: expect.stringContaining('probation') });
    expect(fs.readFileSync(`${agentConfig}.remote.yaml`, 'utf8')).toMatch(/^# atalaya remote config: version 1 sha256 /);
  }, 40_000);
  it('(f) `agent config local` + SIGHUP: the local file wins again; an invalid file on SIGHUP leaves the agent running as it was', async () => {
    const running = agent!;
    const good = fs.readFileSync(agentConfig, 'utf8');
    const nextLine = (msg: string): Promise<void> =>
      new Promise((resolve) => {
        const off = running.onLine((line) => {
          if (!line.includes(`"msg":${JSON.stringify(msg)}`)) return;
          off();
          resolve();
        });
      });
    const r = await runAtalaya(['agent', 'config', 'local', '-c', agentConfig]);
    expect(r.status, r.stderr).toBe(0);
    expect(fs.existsSync(`${agentConfig}.remote.yaml`)).toBe(false);
    const reloaded = nextLine('agent started on the reloaded config');
    running.child.kill('SIGHUP');
    await reloaded;
    expect(running.running).toBe(true);
    await waitFor(async () => (await configView()).gateway?.state === 'local', 'the local file reported');
    expect((await configView()).gateway).toMatchObject({ applied: null, state: 'local' });

    // Now the local file is the one SIGHUP re-reads: an invalid one is refused, the agent keeps running.
    fs.writeFileSync(agentConfig, good.replace('"intervalMs": 300', '"intervalMs": 10'));
    const refused = nextLine('config not reloaded: invalid; the agent keeps its running config');
    running.child.kill('SIGHUP');
    await refused;
    expect(running.running).toBe(true);

    fs.writeFileSync(agentConfig, good);
  }, 30_000);
  it('(g) reads registers and polls a device remotely', async () => {
    const read = await api('POST', `/v1/gateways/${GW}/commands`, { kind: 'modbus.read', args: { device: 'gas-1', table: 'holding', address: 0, count: 4 } });
    const poll = await api('POST', `/v1/gateways/${GW}/commands`, { kind: 'device.poll', args: { device: 'gas-1' } });
    const done = await waitFor(async () => {
      // biome-ignore lint/suspicious/noExplicitAny: a JSON answer of the relay API, read loosely by the test
      const list = (await api('GET', `/v1/gateways/${GW}/commands`)).body.commands as Array<Record<string, any>>;
      const mine = list.filter((c) => c['id'] === read.body.id || c['id'] === poll.body.id);
      return mine.every((c) => c['state'] !== 'pending') ? mine : undefined;
    }, 'both outcomes');
    const byId = Object.fromEntries(done.map((c) => [c['id'], c]));
    expect(byId[read.body.id]).toMatchObject({ state: 'ok', outcome: { result: { device: 'gas-1', registers: expect.any(Array) } } });
    expect(byId[read.body.id]!['outcome'].result.registers).toHaveLength(4);
    expect(byId[poll.body.id]).toMatchObject({ state: 'ok', outcome: { result: { records: expect.any(Number), good: expect.any(Number) } } });
    expect(byId[poll.body.id]!['outcome'].result.good).toBeGreaterThan(0);
  });
  it('(h) agent.restart: a clean stop, exit 75 (the unit restarts on it), the outcome reported after the restart', async () => {
    const cmd = await api('POST', `/v1/gateways/${GW}/commands`, { kind: 'agent.restart', args: { reason: 'test' } });
    const exit = await agent!.exited;
    expect(exit).toEqual({ code: 75, signal: null });
    agent = await startAgent(); // what systemd does (Restart=always)
    const done = await waitFor(async () => {
      // biome-ignore lint/suspicious/noExplicitAny: a JSON answer of the relay API, read loosely by the test
      const list = (await api('GET', `/v1/gateways/${GW}/commands`)).body.commands as Array<Record<string, any>>;
      const c = list.find((x) => x['id'] === cmd.body.id);
      return c?.['state'] === 'ok' ? c : undefined;
    }, 'the restart outcome');
    expect(done['outcome']).toEqual({ result: { restarting: true } });
  }, 30_000);
});
