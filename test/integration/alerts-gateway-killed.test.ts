/**
 * Issue 13 proof: a gateway killed → a "silent" alert after the period → a recovery alert when it
 * returns. A real agent child process polls a Modbus simulator and syncs to a relay with alerts
 * (silence after 3 s); SIGKILL the agent; the relay opens the silent alert once the period has
 * passed and a signed webhook reaches a real HTTP receiver; the agent started again on the same
 * buffer makes the relay close it and tell the receiver so.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../protocols/clock.ts';
import { ModbusSimulator } from '../../simulators/modbus/simulator.ts';
import { startAgentProcess, writeAgentConfig } from '../helpers/agent-process.ts';
import { testLogger } from '../helpers/logger.ts';
import type { AtalayaProcess } from '../helpers/relay-process.ts';
import { waitFor } from '../helpers/wait.ts';
import { Receiver } from './alerts-setup.ts';
import { startTestRelay, type TestRelay } from './relay-setup.ts';

const GATEWAY = 'gw-killed';
const SECRET = 'killed-gateway-webhook-secret';
const SILENT_AFTER_MS = 3000;

type AlertRow = { id: string; kind: string; state: string; openedAt: number; closedAt: number | null; facts: Record<string, unknown> };

let dir: string;
let sim: ModbusSimulator | undefined;
let receiver: Receiver | undefined;
let relay: TestRelay | undefined;
let agent: AtalayaProcess | undefined;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atalaya-alerts-killed-'));
  sim = new ModbusSimulator({
    devices: [{ unitId: 1, kind: 'gas-detector', scenario: 'steady' }],
    tcp: { host: '127.0.0.1', port: 0 },
    clock: systemClock,
    logger: testLogger(),
  });
  await sim.start();
  receiver = new Receiver();
  receiver.secret = SECRET;
  const hook = await receiver.start();
  relay = await startTestRelay({
    env: { ATALAYA_WEBHOOK_SECRET: SECRET },
    alerts: {
      enabled: true,
      tickMs: 200,
      silentAfterMinutes: SILENT_AFTER_MS / 60_000,
      backoffMs: { base: 100, max: 1000 },
      channels: { webhook: {} },
      groups: { guardia: { members: [{ name: 'ana', webhook: `${hook}/guardia` }] } },
      rules: [{ name: 'silence', kinds: ['gateway_silent'], subjects: [GATEWAY], groups: ['guardia'] }],
    },
  });
});

afterAll(async () => {
  await agent?.kill().catch(() => undefined);
  await relay?.stop().catch(() => undefined);
  await receiver?.stop().catch(() => undefined);
  await sim?.stop().catch(() => undefined);
  fs.rmSync(dir, { recursive: true, force: true });
});

const silentAlerts = async (): Promise<AlertRow[]> => {
  const res = await fetch(`${relay!.url}/v1/alerts?state=all`, { headers: { authorization: `Bearer ${relay!.token}` } });
  return ((await res.json()) as { alerts: AlertRow[] }).alerts.filter((a) => a.kind === 'gateway_silent');
};
const lastSeenAt = async (): Promise<number | null> => {
  const res = await fetch(`${relay!.url}/v1/gateways`, { headers: { authorization: `Bearer ${relay!.token}` } });
  return ((await res.json()) as { gateways: Array<{ id: string; lastSeenAt: number | null }> }).gateways.find((g) => g.id === GATEWAY)?.lastSeenAt ?? null;
};
const hooks = () => receiver!.to('/guardia').filter((r) => r.body.eventId.startsWith(`silent:${GATEWAY}:`));

describe('alerts: a killed gateway', () => {
  it('goes silent after the period, with a webhook, and recovers with another when it comes back', async () => {
    const secretFile = path.join(dir, 'gateway.secret');
    fs.writeFileSync(secretFile, `${await relay!.addGateway(GATEWAY)}\n`, { mode: 0o600 });
    const configFile = writeAgentConfig(path.join(dir, 'agent.yaml'), {
      gateway: { id: GATEWAY },
      buffer: { path: path.join(dir, 'buffer.db'), commitIntervalMs: 20 },
      mqtt: { enabled: false },
      status: { host: '127.0.0.1', port: 0 },
      devices: [{ id: 'gas', profile: 'gas-detector', tcp: { host: '127.0.0.1', port: sim!.tcpPort!, timeoutMs: 500 }, unitId: 1, intervalMs: 200 }],
      sync: { url: relay!.url, secretFile, idleMs: 200, backoff: { initialMs: 100, maxMs: 1000 } },
    });
    agent = await startAgentProcess(configFile);
    await waitFor(async () => ((await lastSeenAt()) !== null ? true : undefined), 'the agent syncing', 30_000, 100);
    expect(await silentAlerts()).toEqual([]);

    await agent.kill('SIGKILL');
    const killedAt = Date.now();
    const [opened] = await waitFor(
      async () => {
        const open = (await silentAlerts()).filter((a) => a.state === 'open');
        return open.length > 0 ? open : undefined;
      },
      'the silent alert',
      30_000,
      100,
    );
    // Its id names the last ingest (a request in flight at the kill may still have landed).
    const seen = (await lastSeenAt()) ?? Number.NaN;
    expect(opened!.id).toBe(`silent:${GATEWAY}:${seen}`);
    expect(seen).toBeLessThanOrEqual(killedAt + 1000);
    // Not before the period: opened at least SILENT_AFTER_MS after the gateway was last seen.
    expect(opened!.openedAt - seen).toBeGreaterThanOrEqual(SILENT_AFTER_MS);
    expect(opened!.openedAt).toBeGreaterThanOrEqual(killedAt - 1000);
    await waitFor(() => (hooks().length >= 1 ? true : undefined), 'the silent webhook', 30_000, 50);
    expect(hooks()[0]!.body.severity).toBe('warning');
    expect(hooks()[0]!.body.eventId).toBe(opened!.id);

    agent = await startAgentProcess(configFile);
    const closed = await waitFor(
      async () => (await silentAlerts()).find((a) => a.id === opened!.id && a.state === 'closed'),
      'the silent alert closed',
      30_000,
      100,
    );
    expect(closed.closedAt).toBeGreaterThan(opened!.openedAt);
    await waitFor(() => (hooks().length >= 2 ? true : undefined), 'the recovery webhook', 30_000, 50);
    const [first, second] = hooks();
    expect(second!.key).not.toBe(first!.key);
    expect(second!.body.eventId).toBe(opened!.id);
    expect(second!.body.title).toMatch(/^\[resolved\]/);
    // One of each: no duplicate, no second silent alert while it ran again.
    expect(new Set(hooks().map((h) => h.key)).size).toBe(hooks().length);
    expect((await silentAlerts()).length).toBe(1);
  }, 120_000);
});
