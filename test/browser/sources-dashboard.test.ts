/**
 * The dashboard's Sources tab in a real browser (issue 17 §3): a relay with a TTS, a Tago and an
 * HTTP source; the Tago provider is down, so the tab shows that source failing with its error,
 * and the CSV's bad rows as a problem with its count.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, type TestBrowser } from '../helpers/browser.ts';
import { HOUR, MINUTE, type ProviderBench, startProviderBench } from '../integration/providers-setup.ts';
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

describe('dashboard Sources tab', () => {
  it('shows a provider that is down as failing with its last error, and the bad rows of another', async () => {
    const w = await openPage(tb!);
    await w.page.goto(`${b.url}/dashboard/`);
    await w.page.locator(testId('token-input')).fill(b.token);
    await w.page.locator(testId('login-submit')).click();
    await w.page.locator(testId('tab-sources')).click({ timeout: WAIT_MS });
    const tago = w.page.locator(testId('source-row-tago'));
    await tago.waitFor({ state: 'visible', timeout: WAIT_MS });
    expect(await tago.getAttribute('data-failing')).toBe('true');
    expect(await tago.textContent()).toMatch(/failing \(1 in a row\).*ATALAYA_SOURCE_PULL_FAILED: HTTP 503/s);
    expect(await w.page.locator(testId('source-row-vendor')).getAttribute('data-failing')).toBe('false');
    expect(await w.page.locator(testId('source-problem-vendor-bad_row')).textContent()).toMatch(/^bad_row: 1 \(last: line \d+: 5 cells/);
    // DGA, anchoring and alerts are off on this relay: the page probes them and hides their tabs.
    const off = ['/v1/dga', '/v1/anchors', '/v1/alerts'].map((path) => ({ status: 404, path }));
    expect(unexpectedProblems(w.problems, off)).toEqual([]);
    expect(tb?.external ?? []).toEqual([]);
  });
});
