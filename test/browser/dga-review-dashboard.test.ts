/**
 * The dashboard's DGA tab, Review (issue 14 §2), in a real browser: a slot held for flow over the
 * water right is listed with its finding; Approve sends it (the DGA double gets it once, with the
 * derived values); Correct with a reason sends the corrected value, the audit naming the token.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, type TestBrowser } from '../helpers/browser.ts';
import { type Bench, readingsEvery10Min, startBench } from '../integration/relay-dga-setup.ts';
import { allowedWords, screenshotBoth, untranslated } from './i18n-walk.ts';
import { openPage, testId, unexpectedProblems, WAIT_MS } from './setup.ts';

const HOUR = 3_600_000;
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
  waterRight: { flowLps: 2, annualM3: 50_000 },
};

let bench: Bench | undefined;
let tb: TestBrowser | undefined;

beforeAll(async () => {
  bench = await startBench({ start: DAY0 + HOUR + 10 * 60_000, obras: [WELL], tokenName: 'carla', dga: { spacingMs: 0 } });
  // 3 l/s, the totalizer counting it: only the water right (2 l/s) holds the two hours.
  await bench.ingest(readingsEvery10Min(DAY0, DAY0 + HOUR + 10 * 60_000, (t) => ({ flow: 3, totalizer: 20 + ((t - DAY0) / 1000) * 0.003, column: 40 })));
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

describe('relay dashboard: DGA review', () => {
  it('in Spanish: the held slots with their fields and actions, every word from the catalogue (issue 15 §6)', async () => {
    const w = await openPage(tb!, { locale: 'es-CL' });
    const { page } = w;
    const allowed = allowedWords('cloud/dashboard/ui/locales/es-CL.json', [
      'over_water_right',
      'flow',
      'totalizer',
      'water_column',
      'subterranea',
      'rest',
      'pozo',
    ]);
    await page.goto(`${bench!.url}/dashboard/#dga`);
    await page.locator(testId('token-input')).fill(bench!.token);
    await page.locator(testId('login-submit')).click();
    const first = testId(`review-${OBRA}-${DAY0}`);
    await page.locator(first).waitFor({ timeout: WAIT_MS });
    await page.locator(`${first} ${testId('review-correct')}`).click();
    await page.locator(`${first} ${testId('review-reason')}`).waitFor({ timeout: WAIT_MS });
    expect(await page.locator(first).innerText()).toContain('Caudal (l/s) 3');
    expect(await untranslated(page, allowed)).toEqual([]);
    await screenshotBoth(tb!, page, 'i18n-relay-dga-review-es');
    // Leave the slot as it was for the next case: nothing was sent.
    expect(bench!.sim.measurements(OBRA)).toEqual([]);
    expect(
      unexpectedProblems(w.problems, [
        { status: 404, path: '/v1/anchors' },
        { status: 404, path: '/v1/alerts' },
      ]),
    ).toEqual([]);
  });

  it('lists a held slot with its finding; approve sends it once, correct sends the correction', async () => {
    expect(bench!.sim.measurements(OBRA)).toEqual([]);
    const w = await openPage(tb!);
    const { page } = w;
    await page.goto(`${bench!.url}/dashboard/`);
    await page.locator(testId('login-form')).waitFor({ state: 'visible', timeout: WAIT_MS });
    await page.locator(testId('token-input')).fill(bench!.token);
    await page.locator(testId('login-submit')).click();
    await page.locator(testId('tab-dga')).click();
    const first = testId(`review-${OBRA}-${DAY0}`);
    const second = testId(`review-${OBRA}-${DAY0 + HOUR}`);
    await page.locator(first).waitFor({ timeout: WAIT_MS });
    expect(await page.locator(`${first} li[data-code]`).allInnerTexts()).toEqual([
      expect.stringContaining('over_water_right: flow 3 l/s above the water right 2 l/s'),
    ]);

    await page.locator(`${first} ${testId('review-approve')}`).click();
    await page.locator(first).waitFor({ state: 'detached', timeout: WAIT_MS });
    await bench!.dga.tick();
    expect(bench!.sim.measurements(OBRA).map((m) => [m.horaMedicion, m.caudal])).toEqual([['00:00:00', '3.00']]);

    await page.locator(`${second} ${testId('review-correct')}`).click();
    await page.locator(`${second} ${testId('review-value-caudal')}`).fill('2');
    await page.locator(`${second} ${testId('review-reason')}`).fill('meter over-reads by 1 l/s (calibration 2025-06-10)');
    await page.locator(`${second} ${testId('review-correct-submit')}`).click();
    await page.locator(testId('dga-review-empty')).waitFor({ timeout: WAIT_MS });
    await bench!.dga.tick();
    expect(bench!.sim.measurements(OBRA).map((m) => [m.horaMedicion, m.caudal])).toEqual([
      ['00:00:00', '3.00'],
      ['01:00:00', '2.00'],
    ]);
    const { audit } = await bench!.dga.slot(OBRA, DAY0 + HOUR);
    expect(audit.find((a) => a.phase === 'correct')).toMatchObject({ actor: 'carla', message: 'meter over-reads by 1 l/s (calibration 2025-06-10)' });
    expect(
      unexpectedProblems(w.problems, [
        { status: 404, path: '/v1/anchors' },
        { status: 404, path: '/v1/alerts' },
      ]),
    ).toEqual([]);
  });
});
