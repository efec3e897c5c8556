/**
 * The relay dashboard in a real browser (issue 7): a relay with one gateway's readings, anchoring
 * on a real anvil node with one batch confirmed. Operator sign-in, the gateways, readings and
 * anchors tabs; a wrong token is refused; nothing leaves the machine.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { AnchorService } from '../../cloud/anchor/service.ts';
import type { AnchorBatch } from '../../cloud/store/anchor-types.ts';
import { ANVIL_DEV_KEYS } from '../../simulators/chain/anvil.ts';
import { launchBrowser, type TestBrowser } from '../helpers/browser.ts';
import { anchorSection, mine, startChain, type TestChain } from '../integration/anchor-setup.ts';
import { batchOf, readings, send, startTestRelay, type TestRelay } from '../integration/relay-setup.ts';
import { allowedWords, screenshotBoth, untranslated } from './i18n-walk.ts';
import { layoutWidth, openPage, testId, unexpectedProblems, WAIT_MS, type WatchedPage, waitForTextChange } from './setup.ts';

const GATEWAY = 'gw-browser';

let chain: TestChain | undefined;
let relay: TestRelay | undefined;
let tb: TestBrowser | undefined;
let batch: AnchorBatch;

/** Ticks (mining a block before each) until the batch is confirmed. */
async function confirm(anchor: AnchorService, id: number): Promise<AnchorBatch> {
  for (let i = 0; i < 20; i++) {
    const found = (await anchor.batch(id))?.batch;
    if (found?.status === 'confirmed') return found;
    await mine(chain!);
    await anchor.tick();
  }
  throw new Error(`batch ${id} not confirmed: ${JSON.stringify(await anchor.batch(id))}`);
}

beforeAll(async () => {
  chain = await startChain();
  relay = await startTestRelay({ anchor: anchorSection(chain), env: { ATALAYA_ANCHOR_KEY: ANVIL_DEV_KEYS[0] } });
  const secret = await relay.addGateway(GATEWAY);
  // caudal-1: seqs 1–20 alternating flow (odd) and level (even); pozo-2: seqs 21–30.
  const records = [...readings(20, { device: 'caudal-1' }), ...readings(10, { firstSeq: 21, device: 'pozo-2', value: 40 })];
  expect((await send(relay.url, secret, batchOf(GATEWAY, records))).status).toBe(200);
  const anchor = relay.relay.anchor!;
  const cut = await anchor.cut();
  expect(cut?.size).toBe(30);
  batch = await confirm(anchor, cut!.id);
  tb = await launchBrowser();
});

afterAll(async () => {
  await tb?.close();
  await relay?.stop();
  await chain?.stop();
});

afterEach(() => {
  expect(tb?.external ?? []).toEqual([]);
});

async function signIn(w: WatchedPage, token: string): Promise<void> {
  await w.page.goto(`${relay!.url}/dashboard/`);
  await w.page.locator(testId('login-form')).waitFor({ state: 'visible', timeout: WAIT_MS });
  await w.page.locator(testId('token-input')).fill(token);
  await w.page.locator(testId('login-submit')).click();
}

/** A cell by its column's key (data-col): the column's label is translated. */
const cell = (w: WatchedPage, row: string, column: string): Promise<string> =>
  w.page
    .locator(`${testId(row)} td[data-col="${column}"]`)
    .innerText({ timeout: WAIT_MS })
    .then((t) => t.trim());

describe('relay dashboard', () => {
  it('an operator sees the gateway, filters its readings and finds the batch confirmed with its gas', async () => {
    const w = await openPage(tb!);
    const { page } = w;
    await signIn(w, relay!.token);

    const row = `gateway-row-${GATEWAY}`;
    await page.locator(testId(row)).waitFor({ timeout: WAIT_MS });
    expect(await cell(w, row, 'records')).toBe('30');
    expect(await cell(w, row, 'highestSeq')).toBe('30');
    expect(await page.locator(testId('login-form')).isHidden()).toBe(true);
    await tb!.screenshot(page, 'relay-gateways');

    await page.locator(testId('tab-readings')).click();
    await page.locator(`${testId('filter-gateway')} option[value="${GATEWAY}"]`).waitFor({ state: 'attached', timeout: WAIT_MS });
    await page.locator(testId('filter-gateway')).selectOption(GATEWAY);
    await page.locator(testId('filter-device')).fill('caudal-1');
    await page.locator(testId('filter-channel')).fill('flow');
    await page.locator(testId('readings-query')).click();
    await page.locator(testId(`reading-row-${GATEWAY}-1`)).waitFor({ timeout: WAIT_MS });
    const seqs = await page
      .locator(`[data-testid^="reading-row-${GATEWAY}-"]`)
      .evaluateAll((rows) => rows.map((r) => Number((r as unknown as { dataset: Record<string, string> }).dataset['testid']!.split('-').pop())));
    expect(seqs).toEqual([1, 3, 5, 7, 9, 11, 13, 15, 17, 19]);
    expect(await cell(w, `reading-row-${GATEWAY}-3`, 'device')).toBe('caudal-1');
    expect(await cell(w, `reading-row-${GATEWAY}-3`, 'channel')).toBe('flow');
    expect(await cell(w, `reading-row-${GATEWAY}-3`, 'value')).toBe('14.5');
    expect(await page.locator(testId('readings-chart')).isVisible()).toBe(true);
    await tb!.screenshot(page, 'relay-readings');

    await page.locator(testId('tab-anchors')).click();
    const anchorRow = `anchor-row-${batch.id}`;
    await page.locator(testId(anchorRow)).waitFor({ timeout: WAIT_MS });
    expect(await cell(w, anchorRow, 'status')).toBe('confirmed');
    expect(await cell(w, anchorRow, 'records')).toBe('30');
    expect(batch.gasUsed).toBeGreaterThan(21_000);
    expect(await cell(w, anchorRow, 'gas')).toBe(batch.gasUsed!.toLocaleString('en-US'));
    expect(await cell(w, anchorRow, 'block')).toBe(String(batch.blockNumber));
    await tb!.screenshot(page, 'relay-anchors');

    // DGA and alerts are not enabled on this relay: their routes answer 404 and their tabs stay hidden.
    expect(await page.locator(testId('tab-dga')).isHidden()).toBe(true);
    expect(
      unexpectedProblems(w.problems, [
        { status: 404, path: '/v1/dga' },
        { status: 404, path: '/v1/alerts' },
      ]),
    ).toEqual([]);
  });

  it('reads in Spanish from the browser language, every tab, with Chilean numbers and dates (issue 15 §6)', async () => {
    const w = await openPage(tb!, { locale: 'es-CL' });
    const { page } = w;
    const allowed = allowedWords('cloud/dashboard/ui/locales/es-CL.json', [GATEWAY, 'caudal-1', 'pozo-2', 'flow', 'level', 'atk']);
    await page.goto(`${relay!.url}/dashboard/`);
    await page.locator(testId('login-form')).waitFor({ state: 'visible', timeout: WAIT_MS });
    expect(await page.getAttribute('html', 'lang')).toBe('es-CL');
    expect(await page.locator(testId('lang-es-CL')).getAttribute('aria-pressed')).toBe('true');
    expect(await untranslated(page, allowed)).toEqual([]);
    await screenshotBoth(tb!, page, 'i18n-relay-login-es');
    await page.locator(testId('token-input')).fill(relay!.token);
    await page.locator(testId('login-submit')).click();

    const row = `gateway-row-${GATEWAY}`;
    await page.locator(testId(row)).waitFor({ timeout: WAIT_MS });
    expect(await page.locator(testId('tab-readings')).innerText()).toBe('Lecturas');
    expect(await untranslated(page, allowed)).toEqual([]);
    // dd-mm-aaaa HH:mm:ss in the browser's zone.
    expect(await cell(w, row, 'lastSeen')).toMatch(/^\d{2}-\d{2}-\d{4} \d{2}:\d{2}:\d{2}$/);
    await screenshotBoth(tb!, page, 'i18n-relay-gateways-es');

    await page.locator(testId('tab-readings')).click();
    await page.locator(`${testId('filter-gateway')} option[value="${GATEWAY}"]`).waitFor({ state: 'attached', timeout: WAIT_MS });
    await page.locator(testId('filter-device')).fill('caudal-1');
    await page.locator(testId('filter-channel')).fill('flow');
    await page.locator(testId('readings-query')).click();
    await page.locator(testId(`reading-row-${GATEWAY}-3`)).waitFor({ timeout: WAIT_MS });
    // 14.5 L/s reads 14,5 (decimal comma); the API's JSON keeps 14.5.
    expect(await cell(w, `reading-row-${GATEWAY}-3`, 'value')).toBe('14,5');
    expect(await cell(w, `reading-row-${GATEWAY}-3`, 'quality')).toBe('buena');
    const api = await fetch(`${relay!.url}/v1/readings?gateway=${GATEWAY}&device=caudal-1&channel=flow&limit=2`, {
      headers: { authorization: `Bearer ${relay!.token}` },
    });
    expect(await api.text()).toContain('"value":14.5');
    await page
      .locator(`${testId('readings-chart')} .u-axis`)
      .first()
      .waitFor({ timeout: WAIT_MS });
    expect(await untranslated(page, allowed)).toEqual([]);
    await screenshotBoth(tb!, page, 'i18n-relay-readings-es');

    await page.locator(testId('tab-anchors')).click();
    await page.locator(testId(`anchor-row-${batch.id}`)).click({ timeout: WAIT_MS });
    await page.locator(testId(`anchor-tx-1`)).first().waitFor({ timeout: WAIT_MS });
    expect(await cell(w, `anchor-row-${batch.id}`, 'status')).toBe('confirmado');
    // Gas in thousands with a dot: 1.234, never 1,234.
    expect(await cell(w, `anchor-row-${batch.id}`, 'gas')).toBe(batch.gasUsed!.toLocaleString('es-CL', { useGrouping: 'always' } as Intl.NumberFormatOptions));
    expect(await untranslated(page, allowed)).toEqual([]);
    await screenshotBoth(tb!, page, 'i18n-relay-anchors-es');
    expect(
      unexpectedProblems(w.problems, [
        { status: 404, path: '/v1/dga' },
        { status: 404, path: '/v1/alerts' },
      ]),
    ).toEqual([]);
  });

  it('the ES | EN switch changes the language, and the choice outlives a reload', async () => {
    const w = await openPage(tb!, { locale: 'es-CL' });
    const { page } = w;
    await page.goto(`${relay!.url}/dashboard/`);
    await page.locator(testId('login-form')).waitFor({ state: 'visible', timeout: WAIT_MS });
    expect(await page.locator(testId('login-submit')).innerText()).toBe('Ingresar');
    await Promise.all([page.waitForEvent('load'), page.locator(testId('lang-en')).click()]);
    await page.locator(testId('login-form')).waitFor({ state: 'visible', timeout: WAIT_MS });
    expect(await page.getAttribute('html', 'lang')).toBe('en');
    expect(await page.locator(testId('login-submit')).innerText()).toBe('Sign in');
    expect(await page.title()).toBe('Atalaya relay');
    await page.reload();
    await page.locator(testId('login-form')).waitFor({ state: 'visible', timeout: WAIT_MS });
    expect(await page.getAttribute('html', 'lang')).toBe('en');
    expect(await page.locator(testId('lang-en')).getAttribute('aria-pressed')).toBe('true');
    expect(unexpectedProblems(w.problems)).toEqual([]);
  });

  it('a wrong token brings the sign-in form back with a message', async () => {
    const w = await openPage(tb!, { phone: true });
    const { page } = w;
    await signIn(w, 'atk_not-a-token');
    const message = await waitForTextChange(page, 'login-message', 'Checking…');
    expect(message).not.toBe('');
    expect(w.answers).toContainEqual({ path: '/v1/gateways', status: 401 });
    expect(await page.locator(testId('login-form')).isVisible()).toBe(true);
    expect(await page.locator(testId('tab-gateways')).isVisible()).toBe(false);
    expect(await page.locator(testId('token-input')).inputValue()).toBe('');
    const { scrollWidth, innerWidth } = await layoutWidth(page);
    expect(scrollWidth).toBeLessThanOrEqual(innerWidth + 1);
    expect(unexpectedProblems(w.problems, [{ status: 401, path: '/v1/gateways' }])).toEqual([]);
  });
});
