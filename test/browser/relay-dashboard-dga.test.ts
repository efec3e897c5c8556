/**
 * The dashboard's DGA tab in a real browser (issue 14): a slot DGA answered "00" with an odd
 * receipt is shown accepted but flagged for a person, with the receipt as DGA gave it.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, type TestBrowser } from '../helpers/browser.ts';
import { type Bench, readingsEvery10Min, startBench } from '../integration/relay-dga-setup.ts';
import { openPage, testId, unexpectedProblems, WAIT_MS } from './setup.ts';

const DAY0 = Date.UTC(2025, 5, 16, 4, 0, 0); // 2025-06-16 00:00 UTC-4
const OBRA = 'OB-0602-7';
const WELL = {
  code: OBRA,
  kind: 'subterranea',
  gateway: 'gw-1',
  device: 'pozo-1',
  channels: { flow: 'flow', totalizer: 'totalizer', waterColumn: 'water_column' },
  sensorDepthM: 60,
  startAt: '2025-06-16T00:00:00-04:00',
};

let bench: Bench | undefined;
let tb: TestBrowser | undefined;

beforeAll(async () => {
  bench = await startBench({ start: DAY0 + 10 * 60_000, obras: [WELL], faults: { oddReceipt: { form: 'dashed' } } });
  await bench.ingest(readingsEvery10Min(DAY0, DAY0 + 10 * 60_000, () => ({ flow: 3, totalizer: 20, column: 40 })));
  await bench.dga.tick();
  tb = await launchBrowser();
});

afterAll(async () => {
  await tb?.close();
  await bench?.stop();
});

afterEach(() => {
  expect(tb?.external ?? []).toEqual([]);
});

describe('relay dashboard: DGA tab', () => {
  it('shows a slot accepted with an irregular receipt as such, with the receipt DGA gave', async () => {
    const w = await openPage(tb!);
    const { page } = w;
    await page.goto(`${bench!.url}/dashboard/`);
    await page.locator(testId('login-form')).waitFor({ state: 'visible', timeout: WAIT_MS });
    await page.locator(testId('token-input')).fill(bench!.token);
    await page.locator(testId('login-submit')).click();
    await page.locator(testId('tab-dga')).click();
    const problems = testId(`dga-problems-${OBRA}`);
    await page.locator(problems).waitFor({ timeout: WAIT_MS });
    const receipt = bench!.sim.measurements(OBRA)[0]!.receipt.slice(0, 12).match(/.{4}/g)!.join('-');
    expect(await page.locator(`${problems} td[data-col="state"]`).first().innerText()).toBe('accepted, irregular receipt');
    expect(await page.locator(`${problems} td[data-col="receipt"]`).first().innerText()).toBe(receipt);
    expect(await page.locator(`${problems} td[data-col="reason"]`).first().innerText()).toContain('a person should check');
    // Anchoring and alerts are off on this relay: their routes answer 404 and their tabs stay hidden.
    expect(
      unexpectedProblems(w.problems, [
        { status: 404, path: '/v1/anchors' },
        { status: 404, path: '/v1/alerts' },
      ]),
    ).toEqual([]);
  });
});
