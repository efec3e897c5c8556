/**
 * The DGA tab's volumes view in a real browser (issue 14 §3–4): an obra's daily volumes as a table
 * and a uPlot chart with the share of the annual right, the CSV and the evidence pack downloads.
 */
import fs from 'node:fs';
import { unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, type TestBrowser } from '../helpers/browser.ts';
import { type Bench, HOUR, MINUTE, readingsEvery10Min, startBench } from '../integration/relay-dga-setup.ts';
import { allowedWords, screenshotBoth, untranslated } from './i18n-walk.ts';
import { openPage, testId, unexpectedProblems, WAIT_MS } from './setup.ts';

const DAY0 = Date.parse('2026-01-30T00:00:00-04:00');
const OBRA = {
  code: 'OB-0602-7',
  kind: 'superficial-flujometro',
  gateway: 'gw-1',
  device: 'pozo-1',
  startAt: '2026-01-30T00:00:00-04:00',
  channels: { flow: 'flow', totalizer: 'totalizer' },
  waterRight: { flowLps: 20, annualM3: 108_000 },
};

let bench: Bench | undefined;
let tb: TestBrowser | undefined;

beforeAll(async () => {
  bench = await startBench({ start: DAY0, obras: [OBRA], dga: { spacingMs: 0 } });
  // 12.5 L/s for two days: 1080 m³ a day, 1 % of the annual right.
  await bench.ingest(readingsEvery10Min(DAY0, DAY0 + 48 * HOUR + 10 * MINUTE, (t) => ({ flow: 12.5, totalizer: 500 + ((t - DAY0) / MINUTE) * 0.75 })));
  for (let t = DAY0; t <= DAY0 + 2 * HOUR + 15 * MINUTE; t += 5 * MINUTE) {
    bench.clock.t = t;
    await bench.dga.tick();
  }
  tb = await launchBrowser();
}, 60_000);

afterAll(async () => {
  await tb?.close();
  await bench?.stop();
});

describe('DGA volumes in the dashboard', () => {
  it('shows exact daily volumes with a chart and downloads the CSV and the evidence pack', async () => {
    const w = await openPage(tb!);
    const { page } = w;
    await page.goto(`${bench!.url}/dashboard/`);
    await page.locator(testId('token-input')).fill(bench!.token);
    await page.locator(testId('login-submit')).click();
    await page.locator(testId('tab-dga')).click();
    await page
      .locator(`${testId(`dga-row-${OBRA.code}`)} button`)
      .first()
      .click();
    await page.locator(testId('dga-volumes')).waitFor({ state: 'visible', timeout: WAIT_MS });
    await page.locator(testId('volumes-from')).fill('2026-01-30');
    await page.locator(testId('volumes-to')).fill('2026-02-01');
    await page.locator(testId('volumes-query')).click();
    const row = page.locator(testId('volumes-row-2026-01-30'));
    await row.waitFor({ state: 'visible', timeout: WAIT_MS });
    expect((await row.locator('td[data-col="volume"]').innerText()).trim()).toBe('1,080');
    expect((await row.locator('td[data-col="share"]').innerText()).trim()).toBe('1 %');
    expect((await page.locator(testId('volumes-row-2026-01-31')).locator('td[data-col="volume"]').innerText()).trim()).toBe('1,080');
    expect(await page.locator(`${testId('volumes-chart')} canvas`).count()).toBeGreaterThan(0);

    const [csv] = await Promise.all([page.waitForEvent('download', { timeout: WAIT_MS }), page.locator(testId('volumes-csv')).click()]);
    expect(fs.readFileSync((await csv.path())!, 'utf8')).toContain('OB-0602-7,2026-01-30,2026-01-30T04:00:00.000Z,2026-01-31T04:00:00.000Z,1080,1,');

    const [zip] = await Promise.all([page.waitForEvent('download', { timeout: WAIT_MS }), page.locator(testId('evidence-download')).click()]);
    const files = unzipSync(fs.readFileSync((await zip.path())!));
    expect(Object.keys(files)).toEqual(expect.arrayContaining(['README.txt', 'manifest.json', 'slots/2026-01-30T0000/answer.json']));
    expect(
      unexpectedProblems(w.problems, [
        { status: 404, path: '/v1/anchors' },
        { status: 404, path: '/v1/alerts' },
      ]),
    ).toEqual([]);
  });

  it("in Spanish: the DGA tab and the volumes read 1.080 m³, the CSV downloaded from the page is the relay's, decimal points (issue 15 §6)", async () => {
    const w = await openPage(tb!, { locale: 'es-CL' });
    const { page } = w;
    const allowed = allowedWords('cloud/dashboard/ui/locales/es-CL.json', [
      'superficial-flujometro',
      'mayor',
      'caudal',
      'totalizador',
      'rest',
      'mensual',
      'flow',
      'totalizer',
    ]);
    await page.goto(`${bench!.url}/dashboard/#dga`);
    await page.locator(testId('token-input')).fill(bench!.token);
    await page.locator(testId('login-submit')).click();
    await page
      .locator(`${testId(`dga-row-${OBRA.code}`)} button`)
      .first()
      .click({ timeout: WAIT_MS });
    await page.locator(testId('dga-volumes')).waitFor({ state: 'visible', timeout: WAIT_MS });
    await page.locator(testId('volumes-from')).fill('2026-01-30');
    await page.locator(testId('volumes-to')).fill('2026-02-01');
    await page.locator(testId('volumes-query')).click();
    const row = page.locator(testId('volumes-row-2026-01-30'));
    await row.waitFor({ state: 'visible', timeout: WAIT_MS });
    expect((await row.locator('td[data-col="volume"]').innerText()).trim()).toBe('1.080');
    expect((await row.locator('td[data-col="period"]').innerText()).trim()).toBe('30-01-2026');
    expect(await untranslated(page, allowed)).toEqual([]);
    await screenshotBoth(tb!, page, 'i18n-relay-dga-volumes-es');

    const [csv] = await Promise.all([page.waitForEvent('download', { timeout: WAIT_MS }), page.locator(testId('volumes-csv')).click()]);
    const fromPage = fs.readFileSync((await csv.path())!, 'utf8');
    const query = new URLSearchParams({ from: '2026-01-30T00:00:00-04:00', to: '2026-02-01T00:00:00-04:00', granularity: 'day' });
    const api = await fetch(`${bench!.url}/v1/dga/${OBRA.code}/volumes.csv?${query}`, { headers: { authorization: `Bearer ${bench!.token}` } });
    expect(fromPage).toBe(await api.text());
    expect(fromPage).toContain(',1080,1,');
    expect(
      unexpectedProblems(w.problems, [
        { status: 404, path: '/v1/anchors' },
        { status: 404, path: '/v1/alerts' },
      ]),
    ).toEqual([]);
  });
});
