/**
 * The agent status page in a real browser (issue 7): a real agent polling a gas detector and a
 * flowmeter simulated over Modbus/TCP, its status server on a free loopback port with a token.
 * Sign-in, live values pushed over SSE, a gas leak raising an alarm acknowledged from the page,
 * the register inspector's word orders, a phone-width layout; nothing leaves the machine.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Agent } from '../../agent/main.ts';
import { launchBrowser, type TestBrowser } from '../helpers/browser.ts';
import { type Bench, startAgent, startBench } from '../integration/agent-setup.ts';
import { skewedClock } from '../integration/anchor-setup.ts';
import { api, STATUS_TOKEN, statusSection, statusUrl } from '../integration/status-setup.ts';
import { allowedWords, screenshotBoth, untranslated } from './i18n-walk.ts';
import { layoutWidth, openPage, testId, textOf, unexpectedProblems, WAIT_MS, type WatchedPage, waitForData, waitForText, waitForTextChange } from './setup.ts';

const GAS_UNIT = 1;
const FLOW_UNIT = 2;
// 123.25 L/s is exact in float32; at this flow the 0.1 m³ totalizer moves on every 1 s poll.
const FLOW = { flow: 123.25, waterColumnM: 35.25, totalizerM3: 1000, sensorDepthM: 60 };

// The simulator's model time: pushed forward to play a leak's first 40 s at once.
const simClock = skewedClock();
let bench: Bench | undefined;
let agent: Agent | undefined;
let tb: TestBrowser | undefined;
let base = '';

beforeAll(async () => {
  bench = await startBench(
    'tcp',
    [
      { unitId: GAS_UNIT, kind: 'gas-detector', scenario: 'steady' },
      { unitId: FLOW_UNIT, kind: 'flowmeter', scenario: 'steady', params: FLOW },
    ],
    19200,
    simClock,
  );
  agent = await startAgent(
    bench,
    [
      { id: 'gas', profile: 'gas-detector', intervalMs: 1000, ...bench.at(GAS_UNIT) },
      { id: 'flow', profile: 'flowmeter', intervalMs: 1000, params: { sensorDepthM: FLOW.sensorDepthM }, ...bench.at(FLOW_UNIT) },
    ],
    { status: statusSection },
  );
  base = statusUrl(agent);
  tb = await launchBrowser();
});

afterAll(async () => {
  await tb?.close();
  await agent?.stop();
  await bench?.close();
});

afterEach(() => {
  expect(tb?.external ?? []).toEqual([]);
});

/** A page signed in by its cookie (what POST /api/login sets), showing live data. */
async function signedIn(options: { phone?: boolean; locale?: string } = {}): Promise<WatchedPage> {
  const watched = await openPage(tb!, options);
  await watched.page.context().addCookies([{ name: 'atalaya_status', value: STATUS_TOKEN, url: base }]);
  await watched.page.goto(`${base}/`);
  await watched.page.locator(testId('app')).waitFor({ state: 'visible', timeout: WAIT_MS });
  await waitForData(watched.page, 'live-indicator', 'state', 'live');
  return watched;
}

const simValues = (unit: number): Readonly<Record<string, number>> => bench!.sim.device(unit)!.values();
/** A value as the page writes it in English (`1,000.3`). */
const uiNumber = async (w: WatchedPage, id: string): Promise<number> => Number((await textOf(w.page, id)).replaceAll(',', ''));

describe('agent status page', () => {
  it('asks for the token (APIs answer 401), refuses a wrong one, then shows live values pushed over SSE', async () => {
    const w = await openPage(tb!);
    const { page } = w;
    await page.goto(`${base}/`);
    await page.locator(testId('login-section')).waitFor({ state: 'visible', timeout: WAIT_MS });
    expect(await page.locator(testId('app')).isHidden()).toBe(true);
    expect(w.answers).toContainEqual({ path: '/api/overview', status: 401 });
    const direct = await page.evaluate(() => Promise.all(['/api/devices', '/api/alarms'].map(async (p) => (await fetch(p)).status)));
    expect(direct).toEqual([401, 401]);

    await page.locator(testId('token-input')).fill('ats_not-the-token');
    await page.locator(testId('login-submit')).click();
    await waitForTextChange(page, 'login-error', '');
    expect(w.answers).toContainEqual({ path: '/api/login', status: 401 });
    expect(await page.locator(testId('app')).isHidden()).toBe(true);

    await page.locator(testId('token-input')).fill(STATUS_TOKEN);
    await page.locator(testId('login-submit')).click();
    await page.locator(testId('app')).waitFor({ state: 'visible', timeout: WAIT_MS });
    expect(await page.locator(testId('login-section')).isHidden()).toBe(true);
    await waitForData(page, 'live-indicator', 'state', 'live');
    await waitForText(page, 'gateway-id', 'gw-test');

    // Both devices with their channels, as the simulator measures them (register rounding aside).
    await waitForText(page, 'value-flow-flow', '123.25');
    const gas = simValues(GAS_UNIT);
    for (const channel of ['ch4', 'h2s', 'co', 'o2']) {
      await page.locator(testId(`value-gas-${channel}`)).waitFor({ timeout: WAIT_MS });
      expect(Math.abs((await uiNumber(w, `value-gas-${channel}`)) - gas[channel]!)).toBeLessThan(0.051);
    }
    expect(await uiNumber(w, 'value-flow-water_column')).toBeCloseTo(FLOW.waterColumnM, 3);
    expect(await uiNumber(w, 'value-flow-level')).toBeCloseTo(FLOW.sensorDepthM - FLOW.waterColumnM, 3);
    expect(Math.abs((await uiNumber(w, 'value-flow-totalizer')) - simValues(FLOW_UNIT)['totalizer']!)).toBeLessThan(2);
    expect(await textOf(page, 'unit-flow-flow')).toBe('L/s');
    await tb!.screenshot(page, 'status-desktop');

    // The totalizer moves on every poll: it must change on screen with no reload and no poll of
    // GET /api/devices in between (the page re-reads that every 10 s; retry when one coincides).
    await page.evaluate(() => {
      (globalThis as unknown as { sameDocument: boolean }).sameDocument = true;
    });
    let pushed = false;
    let total = await textOf(page, 'value-flow-totalizer');
    for (let attempt = 0; attempt < 3 && !pushed; attempt++) {
      const polls = w.answers.filter((a) => a.path === '/api/devices').length;
      total = await waitForTextChange(page, 'value-flow-totalizer', total);
      pushed = w.answers.filter((a) => a.path === '/api/devices').length === polls;
    }
    expect(pushed).toBe(true);
    expect(await page.evaluate(() => (globalThis as unknown as { sameDocument?: boolean }).sameDocument)).toBe(true);
    expect(w.answers).toContainEqual({ path: '/api/events', status: 200 });

    const expected401 = ['/api/overview', '/api/devices', '/api/alarms', '/api/login'].map((path) => ({ status: 401, path }));
    expect(unexpectedProblems(w.problems, expected401)).toEqual([]);
  });

  it('shows a gas leak as an alarm within seconds without a reload; acknowledging it from the page flips it', async () => {
    const w = await signedIn();
    const { page } = w;
    await waitForText(page, 'value-gas-ch4', '0');
    await page.locator(testId('alarm-none')).waitFor({ timeout: WAIT_MS });

    // gas-leak: CH4 ramps 0 → 30 %LEL from 10 s to 70 s; 40 s in it reads 15, over high1 (10, warning).
    bench!.sim.setScenario(GAS_UNIT, 'gas-leak');
    simClock.advance(40_000);
    const item = 'alarm-gas-ch4-high1';
    await page.locator(testId(item)).waitFor({ timeout: WAIT_MS });
    expect(await page.locator(testId(item)).getAttribute('data-level')).toBe('warning');
    expect(await page.locator(testId(item)).getAttribute('data-state')).toBe('raised');
    expect(Number(await textOf(page, 'alarm-count'))).toBeGreaterThanOrEqual(1);
    expect(await page.locator(testId('alarms-section')).getAttribute('data-level')).not.toBe('none');
    expect(await page.locator(`${testId('alarm-recent')} tr[data-state="raised"]`).count()).toBeGreaterThanOrEqual(1);
    await tb!.screenshot(page, 'status-alarm');

    await page.locator(testId('ack-gas-ch4-high1')).click();
    await waitForData(page, item, 'state', 'acknowledged');
    expect(await page.locator(testId('ack-gas-ch4-high1')).count()).toBe(0);
    const alarms = await api<{ active: Array<{ device: string; channel: string; rule: string; state: string }> }>(agent!, '/api/alarms');
    expect(alarms.body.active).toContainEqual(expect.objectContaining({ device: 'gas', channel: 'ch4', rule: 'high1', state: 'acknowledged' }));
    expect(page.url()).toBe(`${base}/`);
    expect(unexpectedProblems(w.problems)).toEqual([]);
  });

  it('register inspector reads the flowmeter and shows the flow in the CDAB float column', async () => {
    const w = await signedIn();
    const { page } = w;
    await page.locator(`${testId('inspector-device')} option[value="flow"]`).waitFor({ state: 'attached', timeout: WAIT_MS });
    await page.locator(testId('inspector-device')).selectOption('flow');
    await page.locator(testId('inspector-table')).selectOption('holding');
    await page.locator(testId('inspector-address')).fill('0');
    await page.locator(testId('inspector-count')).fill('11');
    await page.locator(testId('inspector-submit')).click();
    await page.locator(testId('inspector-row-10')).waitFor({ timeout: WAIT_MS });

    // protocols/profiles/flowmeter.ts: flow at holding 0–1 and water column at 8–9, float32 CDAB
    // (low word first): 123.25 = 0x42F68000 → registers 0x8000, 0x42F6.
    expect((await textOf(page, 'hex-0')).toLowerCase()).toBe('0x8000');
    expect((await textOf(page, 'hex-1')).toLowerCase()).toBe('0x42f6');
    expect(Number(await textOf(page, 'f32-CDAB-0'))).toBe(FLOW.flow);
    expect(Number(await textOf(page, 'f32-CDAB-8'))).toBe(FLOW.waterColumnM);
    for (const order of ['ABCD', 'BADC', 'DCBA']) expect(Number(await textOf(page, `f32-${order}-0`))).not.toBe(FLOW.flow);
    // Totalizer at 2–3, uint32 ABCD in 0.1 m³.
    expect(Math.abs(Number(await textOf(page, 'u32-ABCD-2')) / 10 - simValues(FLOW_UNIT)['totalizer']!)).toBeLessThan(2);
    expect(await textOf(page, 'f32-CDAB-10')).toBe('—');
    await page.locator(testId('inspector-results')).scrollIntoViewIfNeeded();
    await tb!.screenshot(page, 'status-inspector');
    expect(unexpectedProblems(w.problems)).toEqual([]);
  });

  it('reads in Spanish from the browser language: sign-in, every section, the alarm, a chart, the inspector (issue 15 §6)', async () => {
    const login = await openPage(tb!, { locale: 'es-CL' });
    await login.page.goto(`${base}/`);
    await login.page.locator(testId('login-section')).waitFor({ state: 'visible', timeout: WAIT_MS });
    expect(await login.page.locator(testId('login-submit')).innerText()).toBe('Ingresar');
    expect(await untranslated(login.page, allowedWords('agent/status/ui/locales/es-CL.json', []))).toEqual([]);
    await screenshotBoth(tb!, login.page, 'i18n-status-login-es');

    const w = await signedIn({ locale: 'es-CL' });
    const { page } = w;
    expect(await page.getAttribute('html', 'lang')).toBe('es-CL');
    // 123.25 L/s with a decimal comma; the API keeps the number.
    await waitForText(page, 'value-flow-flow', '123,25');
    const overview = await api<{ system: { disk: { path: string } | null }; gateway: { version: string } }>(agent!, '/api/overview');
    const data = [
      'gw-test',
      `v${overview.body.gateway.version}`,
      overview.body.system.disk?.path ?? '',
      'gas',
      'flow',
      'gas-detector',
      'flowmeter',
      'tcp',
      'high1',
      'high2',
      'ppm',
      'LEL',
      'vol',
      'ch4',
      'h2s',
      'co',
      'o2',
      'water_column',
      'level',
      'totalizer',
      'low1',
      'low2',
    ];
    const allowed = allowedWords('agent/status/ui/locales/es-CL.json', data);
    await page.locator(testId('live-indicator')).getByText('en vivo').waitFor({ timeout: WAIT_MS });
    await page.locator(testId('channel-flow-flow')).click();
    await page
      .locator(`${testId('chart-flow-flow')} .u-axis`)
      .first()
      .waitFor({ timeout: WAIT_MS });
    await page.locator(testId('inspector-device')).selectOption('flow');
    await page.locator(testId('inspector-count')).fill('4');
    await page.locator(testId('inspector-submit')).click();
    await page.locator(testId('inspector-row-3')).waitFor({ timeout: WAIT_MS });
    expect(await textOf(page, 'f32-CDAB-0')).toBe('123,25');
    expect(await untranslated(page, allowed)).toEqual([]);
    await screenshotBoth(tb!, page, 'i18n-status-es');
    expect(unexpectedProblems(w.problems)).toEqual([]);
    expect(unexpectedProblems(login.problems, [{ status: 401, path: '/api/overview' }])).toEqual([]);
  });

  it('fits a 390 px phone without horizontal scrolling', async () => {
    const w = await signedIn({ phone: true });
    const { page } = w;
    await page.locator(testId('value-flow-flow')).waitFor({ timeout: WAIT_MS });
    await page.locator(testId('value-gas-ch4')).waitFor({ timeout: WAIT_MS });
    const { scrollWidth, innerWidth } = await layoutWidth(page);
    expect(innerWidth).toBe(390);
    expect(scrollWidth).toBeLessThanOrEqual(innerWidth + 1);
    await tb!.screenshot(page, 'status-phone');
    expect(unexpectedProblems(w.problems)).toEqual([]);
  });
});
