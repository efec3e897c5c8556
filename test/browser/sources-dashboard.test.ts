/**
 * The dashboard's Sources tab in a real browser (issue 17 §3): a relay with a TTS, a Tago and an
 * HTTP source; the Tago provider is down, so the tab shows that source failing with its error,
 * and the CSV's bad rows as a problem with its count (the reason by its label, the provider's
 * detail as it came). The tab also reads in Spanish (issue 15 §6).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, type TestBrowser } from '../helpers/browser.ts';
import { HOUR, MINUTE, OBRAS, type ProviderBench, startProviderBench } from '../integration/providers-setup.ts';
import { allowedWords, screenshotBoth, untranslated } from './i18n-walk.ts';
import { openPage, testId, unexpectedProblems, WAIT_MS } from './setup.ts';

const T0 = Date.UTC(2025, 5, 16, 4, 0, 0);
let b: ProviderBench;
let tb: TestBrowser | undefined;

beforeAll(async () => {
  b = await startProviderBench(T0, T0 + HOUR + 10 * MINUTE, false);
  await b.relay.sources.puller('vendor')!.pullNow();
  b.tago.fault = '5xx';
  await b.relay.sources
    .puller('tago')!
    .pullNow()
    .catch(() => undefined);
  tb = await launchBrowser();
});
afterAll(async () => {
  await tb?.close();
  await b?.stop();
});

// DGA, anchoring and alerts are off on this relay: the page probes them and hides their tabs.
const OFF = ['/v1/dga', '/v1/anchors', '/v1/alerts'].map((path) => ({ status: 404, path }));

async function openSources(locale?: string) {
  const w = await openPage(tb!, locale === undefined ? {} : { locale });
  await w.page.goto(`${b.url}/dashboard/`);
  await w.page.locator(testId('token-input')).fill(b.token);
  await w.page.locator(testId('login-submit')).click();
  await w.page.locator(testId('tab-sources')).click({ timeout: WAIT_MS });
  await w.page.locator(testId('source-row-tago')).waitFor({ state: 'visible', timeout: WAIT_MS });
  return w;
}

describe('dashboard Sources tab', () => {
  it('shows a provider that is down as failing with its last error, and the bad rows of another', async () => {
    const w = await openSources();
    const tago = w.page.locator(testId('source-row-tago'));
    expect(await tago.getAttribute('data-failing')).toBe('true');
    expect(await tago.textContent()).toMatch(/failing \(1 in a row\).*ATALAYA_SOURCE_PULL_FAILED: HTTP 503/s);
    expect(await w.page.locator(testId('source-row-vendor')).getAttribute('data-failing')).toBe('false');
    expect(await w.page.locator(testId('source-problem-vendor-bad_row')).textContent()).toMatch(/^bad row: 1 \(last: line \d+: 5 cells/);
    expect(unexpectedProblems(w.problems, OFF)).toEqual([]);
    expect(tb?.external ?? []).toEqual([]);
    await w.page.context().close();
  });

  it('in Spanish: kinds, states and problems by their labels, every word from the catalogue (issue 15 §6)', async () => {
    const w = await openSources('es-CL');
    const allowed = allowedWords('cloud/dashboard/ui/locales/es-CL.json', ['ttn', 'tago', 'vendor', ...Object.values(OBRAS).map((o) => o.gateway)]);
    expect(await w.page.locator(testId('source-row-tago')).textContent()).toMatch(/TagoIO.*con fallas \(racha de 1\)/s);
    expect(await w.page.locator(testId('source-problem-vendor-bad_row')).textContent()).toMatch(/^fila inválida: 1 \(último: line \d+/);
    expect(await untranslated(w.page, allowed)).toEqual([]);
    await screenshotBoth(tb!, w.page, 'i18n-relay-sources-es');
    expect(unexpectedProblems(w.problems, OFF)).toEqual([]);
    expect(tb?.external ?? []).toEqual([]);
    await w.page.context().close();
  });
});
