/**
 * Issue 16 §1 proof: a fleet of 20 agents (real `atalaya agent` child processes, each polling one
 * simulated gas detector over Modbus TCP: one simulator, a unit id each) on one relay. The Fleet
 * tab and GET /v1/fleet show 20 online; SIGKILL one and it turns offline within
 * fleet.offlineAfterMs. Agents poll the fleet channel every second so the test stays short. The
 * Fleet tab also reads in Spanish (issue 15 §6).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../protocols/clock.ts';
import { ModbusSimulator } from '../../simulators/modbus/simulator.ts';
import { writeAgentConfig } from '../helpers/agent-process.ts';
import { launchBrowser, type TestBrowser } from '../helpers/browser.ts';
import { testLogger } from '../helpers/logger.ts';
import { AtalayaProcess, cleanEnv } from '../helpers/relay-process.ts';
import { waitFor } from '../helpers/wait.ts';
import { get, startTestRelay, type TestRelay } from '../integration/relay-setup.ts';
import { allowedWords, screenshotBoth, untranslated } from './i18n-walk.ts';
import { openPage, testId, unexpectedProblems, WAIT_MS, type WatchedPage, waitForText } from './setup.ts';

const AGENTS = 20;
const OFFLINE_AFTER_MS = 3000;
const INTERVAL_MS = 1000;
/** DGA, anchoring and alerts are off on this relay: the dashboard's probes of them answer 404. */
const OPTIONAL_FEATURES = ['/v1/dga', '/v1/anchors', '/v1/alerts'].map((path) => ({ status: 404, path }));
const ids = Array.from({ length: AGENTS }, (_, i) => `gw-fleet-${String(i + 1).padStart(2, '0')}`);

interface Row {
  id: string;
  online: boolean;
  version: string | null;
  devicesTotal: number | null;
  lastSeenAt: number | null;
}

let relay: TestRelay | undefined;
let sim: ModbusSimulator | undefined;
let tb: TestBrowser | undefined;
let dir: string;
const agents = new Map<string, AtalayaProcess>();

async function fleet(): Promise<Row[]> {
  const res = await get(relay!.url, '/v1/fleet', relay!.token);
  expect(res.status).toBe(200);
  return res.body['gateways'] as Row[];
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atalaya-fleet-'));
  // Twenty gateways on one address, as behind a carrier NAT: each holds one or two connections
  // (sync and a fleet poll at once), the browser six more, over the default 64 per address.
  relay = await startTestRelay({ fleet: { offlineAfterMs: OFFLINE_AFTER_MS }, listen: { maxConnectionsPerAddress: 256 } });
  sim = new ModbusSimulator({
    devices: ids.map((_, i) => ({ unitId: i + 1, kind: 'gas-detector' as const, scenario: 'steady' as const })),
    tcp: { host: '127.0.0.1', port: 0 },
    clock: systemClock,
    logger: testLogger(),
  });
  await sim.start();
  const started = await Promise.allSettled(
    ids.map(async (id, i) => {
      const secret = await relay!.addGateway(id);
      const config = writeAgentConfig(path.join(dir, `${id}.json`), {
        gateway: { id },
        buffer: { path: path.join(dir, `${id}.db`) },
        mqtt: { enabled: false },
        status: { enabled: false },
        sync: { url: relay!.url },
        fleet: { intervalMs: INTERVAL_MS },
        devices: [{ id: 'gas', profile: 'gas-detector', tcp: { host: '127.0.0.1', port: sim!.tcpPort }, unitId: i + 1, intervalMs: 1000 }],
      });
      const agent = new AtalayaProcess(['agent', '-c', config], cleanEnv({ ATALAYA_GATEWAY_SECRET: secret }));
      agents.set(id, agent);
      // Twenty processes loading at once on a small machine: a longer wait than one agent needs.
      await agent.waitForMessage('agent started', 120_000);
    }),
  );
  const failed = started.find((s) => s.status === 'rejected');
  if (failed !== undefined) throw (failed as PromiseRejectedResult).reason;
  tb = await launchBrowser();
}, 150_000);

afterAll(async () => {
  await Promise.all([...agents.values()].map((a) => a.kill()));
  await tb?.close();
  await sim?.stop();
  await relay?.stop();
  if (dir !== undefined) fs.rmSync(dir, { recursive: true, force: true });
});

afterEach(() => {
  expect(tb?.external ?? []).toEqual([]);
});

async function signIn(w: WatchedPage): Promise<void> {
  await w.page.goto(`${relay!.url}/dashboard/#fleet`);
  await w.page.locator(testId('login-form')).waitFor({ state: 'visible', timeout: WAIT_MS });
  await w.page.locator(testId('token-input')).fill(relay!.token);
  await w.page.locator(testId('login-submit')).click();
}

describe('a fleet of 20 agents on one relay', () => {
  it('shows all 20 online, with their version and device, on the API and the Fleet tab', async () => {
    const rows = await waitFor(
      async () => {
        const all = await fleet();
        return all.filter((r) => ids.includes(r.id)).every((r) => r.online && r.devicesTotal === 1) && all;
      },
      '20 gateways online with a health report',
      30_000,
    );
    expect(rows.filter((r) => r.online)).toHaveLength(AGENTS);
    expect(new Set(rows.map((r) => r.version)).size).toBe(1);
    expect(rows[0]?.version).toMatch(/^\d+\.\d+\.\d+/);

    const w = await openPage(tb!);
    await signIn(w);
    await waitForText(w.page, 'fleet-summary', `${AGENTS} gateways: ${AGENTS} online, 0 offline (no poll for 3 s).`);
    expect(await w.page.locator('[data-testid^="fleet-row-"][data-online="true"]').count()).toBe(AGENTS);

    // A row's details: the latest report and its history chart.
    await w.page.locator(testId(`fleet-open-${ids[0]}`)).click();
    await w.page.locator(`${testId('fleet-detail')} dl.facts`).waitFor({ timeout: WAIT_MS });
    await w.page.locator(`${testId('fleet-chart')} canvas`).waitFor({ timeout: WAIT_MS });
    expect(unexpectedProblems(w.problems, OPTIONAL_FEATURES)).toEqual([]);
  });

  it("in Spanish: the Fleet tab and a row's details, every word from the catalogue (issue 15 §6)", async () => {
    const w = await openPage(tb!, { locale: 'es-CL' });
    const allowed = allowedWords('cloud/dashboard/ui/locales/es-CL.json', [...ids, 'gas']);
    await signIn(w);
    await waitForText(w.page, 'fleet-summary', `${AGENTS} gateways: ${AGENTS} en línea, 0 fuera de línea (sin consultas por 3 s).`);
    await w.page.locator(testId(`fleet-open-${ids[0]}`)).click();
    await w.page.locator(`${testId('fleet-chart')} canvas`).waitFor({ timeout: WAIT_MS });
    expect(await w.page.locator(`${testId('fleet-detail')} dl.facts`).textContent()).toMatch(/gas: ok \(\d+ %\)/);
    expect(await untranslated(w.page, allowed)).toEqual([]);
    await screenshotBoth(tb!, w.page, 'i18n-relay-fleet-es');
    expect(unexpectedProblems(w.problems, OPTIONAL_FEATURES)).toEqual([]);
  });

  it('turns a SIGKILLed agent offline within fleet.offlineAfterMs, the others staying online', async () => {
    const victim = ids[6]!;
    const before = (await fleet()).find((r) => r.id === victim)!;
    expect(before.online).toBe(true);
    await agents.get(victim)!.kill('SIGKILL');
    const killedAt = Date.now();
    await waitFor(async () => (await fleet()).find((r) => r.id === victim)?.online === false, `${victim} offline`, OFFLINE_AFTER_MS + 5000, 100);
    const elapsed = Date.now() - killedAt;
    // Its last poll came before the kill, so the relay says offline at most offlineAfterMs after it (+ one API round trip).
    expect(elapsed).toBeLessThanOrEqual(OFFLINE_AFTER_MS + 1000);
    const rows = await fleet();
    expect(rows.filter((r) => r.online).map((r) => r.id)).toEqual(ids.filter((id) => id !== victim));

    const w = await openPage(tb!);
    await signIn(w);
    await w.page.locator(`${testId(`fleet-row-${victim}`)}[data-online="false"]`).waitFor({ timeout: WAIT_MS });
    await waitForText(w.page, 'fleet-summary', `${AGENTS} gateways: ${AGENTS - 1} online, 1 offline (no poll for 3 s).`);
    expect(unexpectedProblems(w.problems, OPTIONAL_FEATURES)).toEqual([]);
  });
});
