/**
 * The dashboard's Alerts tab in a real browser (issue 13 §6): a gas alarm record ingested through
 * the real relay opens an alert whose webhook reaches a real HTTP receiver; the operator finds the
 * alert with its delivery, acknowledges it from the detail, and sees it acknowledged. Phone width
 * too; nothing leaves the machine.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, type TestBrowser } from '../helpers/browser.ts';
import { Receiver } from '../integration/alerts-setup.ts';
import { batchOf, readings, send, startTestRelay, type TestRelay } from '../integration/relay-setup.ts';
import { allowedWords, screenshotBoth, untranslated } from './i18n-walk.ts';
import { layoutWidth, openPage, testId, unexpectedProblems, WAIT_MS, type WatchedPage } from './setup.ts';

const GATEWAY = 'gw-alerts';
const SECRET = 'dashboard-webhook-secret';
const ALERT_ID = `alarm:${GATEWAY}:det-1:ch4:high2:1`;

let relay: TestRelay | undefined;
let receiver: Receiver | undefined;
let tb: TestBrowser | undefined;

beforeAll(async () => {
  receiver = new Receiver();
  receiver.secret = SECRET;
  const hook = await receiver.start();
  relay = await startTestRelay({
    env: { ATALAYA_WEBHOOK_SECRET: SECRET },
    alerts: {
      enabled: true,
      tickMs: 200,
      channels: { webhook: {} },
      groups: { guardia: { members: [{ name: 'ana', webhook: `${hook}/guardia` }] } },
      rules: [{ name: 'gas', kinds: ['alarm'], groups: ['guardia'], notifyClose: false }],
    },
  });
  const secret = await relay.addGateway(GATEWAY);
  const [base] = readings(1);
  const alarm = {
    ...base!,
    kind: 'alarm' as const,
    device: 'det-1',
    channel: 'ch4',
    value: 25,
    unit: '%LEL',
    priority: 2 as const,
    alarm: { rule: 'high2', level: 'alarm' as const, state: 'raised' as const, threshold: 20 },
  };
  expect((await send(relay.url, secret, batchOf(GATEWAY, [alarm]))).status).toBe(200);
  // The alert's webhook is delivered before the browser looks: the detail then shows it sent.
  const end = Date.now() + WAIT_MS;
  while (receiver.to('/guardia').length === 0) {
    if (Date.now() > end) throw new Error('the webhook of the alarm never arrived');
    await new Promise((r) => setTimeout(r, 20));
  }
  tb = await launchBrowser();
});

afterAll(async () => {
  await tb?.close();
  await relay?.stop();
  await receiver?.stop();
});

afterEach(() => {
  expect(tb?.external ?? []).toEqual([]);
});

async function signIn(w: WatchedPage): Promise<void> {
  await w.page.goto(`${relay!.url}/dashboard/#alerts`);
  await w.page.locator(testId('login-form')).waitFor({ state: 'visible', timeout: WAIT_MS });
  await w.page.locator(testId('token-input')).fill(relay!.token);
  await w.page.locator(testId('login-submit')).click();
}

describe('relay dashboard: Alerts tab', () => {
  it('shows the alarm with its webhook delivery, and Acknowledge acknowledges it', async () => {
    const w = await openPage(tb!);
    const { page } = w;
    await signIn(w);
    const row = testId(`alert-row-${ALERT_ID}`);
    await page.locator(row).waitFor({ timeout: WAIT_MS });
    expect(await page.locator(row).getAttribute('data-state')).toBe('open');
    expect(await page.locator(row).getAttribute('data-acked')).toBe('false');
    expect(await page.locator(`${row} td[data-col="severity"]`).innerText()).toBe('alarm');
    expect(await page.locator(`${row} td[data-col="subject"]`).innerText()).toBe(`${GATEWAY} / det-1 / ch4`);
    expect(await page.locator(`${row} td[data-col="deliveries"]`).innerText()).toContain('sent 1');

    await page.locator(row).click();
    const messages = `${testId('alert-messages')} tbody tr`;
    await page.locator(messages).first().waitFor({ timeout: WAIT_MS });
    expect(await page.locator(messages).count()).toBe(1);
    expect(await page.locator(`${messages} td[data-col="channel"]`).innerText()).toBe('webhook');
    expect(await page.locator(`${messages} td[data-col="recipient"]`).innerText()).toBe('guardia/ana');
    expect(await page.locator(`${messages} td[data-col="state"]`).innerText()).toBe('sent');
    expect(await page.locator(`${messages} td[data-col="attempts"]`).innerText()).toBe('1');
    const outcomes = await page.locator(`${testId('alert-deliveries')} td[data-col="outcome"]`).allInnerTexts();
    expect(outcomes.map((t) => t.trim())).toContain('sent');
    await tb!.screenshot(page, 'relay-alerts');

    await page.locator(testId('alert-ack')).click();
    await page.locator(`${row}[data-acked="true"]`).waitFor({ timeout: WAIT_MS });
    expect(await page.locator(testId('alert-state')).innerText()).toBe('open, acknowledged');
    expect(await page.locator(testId('alert-ack')).isHidden()).toBe(true);
    const api = await fetch(`${relay!.url}/v1/alerts/${encodeURIComponent(ALERT_ID)}`, { headers: { authorization: `Bearer ${relay!.token}` } });
    const { alert } = (await api.json()) as { alert: { ackedAt: number | null; ackedBy: string | null } };
    expect(alert.ackedAt).not.toBeNull();
    expect(alert.ackedBy).toMatch(/^token-[0-9a-f]{8}$/);
    await tb!.screenshot(page, 'relay-alerts-acked');

    await page.locator(testId('alerts-filter')).selectOption('closed');
    await page.locator(testId('alerts-empty')).waitFor({ timeout: WAIT_MS });
    expect(
      unexpectedProblems(w.problems, [
        { status: 404, path: '/v1/dga' },
        { status: 404, path: '/v1/anchors' },
      ]),
    ).toEqual([]);
  });

  it('in Spanish: the list and the detail of the alert, every word from the catalogue (issue 15 §6)', async () => {
    const w = await openPage(tb!, { locale: 'es-CL' });
    const { page } = w;
    const allowed = allowedWords('cloud/dashboard/ui/locales/es-CL.json', [GATEWAY, 'webhook', 'guardia/ana', 'LEL']);
    await signIn(w);
    const row = testId(`alert-row-${ALERT_ID}`);
    await page.locator(row).click({ timeout: WAIT_MS });
    await page
      .locator(`${testId('alert-messages')} tbody tr`)
      .first()
      .waitFor({ timeout: WAIT_MS });
    expect(await page.locator(`${row} td[data-col="severity"]`).innerText()).toBe('alarma');
    expect(await page.locator(`${testId('alert-messages')} td[data-col="state"]`).innerText()).toBe('enviado');
    expect(await untranslated(page, allowed)).toEqual([]);
    await screenshotBoth(tb!, page, 'i18n-relay-alerts-es');
    expect(
      unexpectedProblems(w.problems, [
        { status: 404, path: '/v1/dga' },
        { status: 404, path: '/v1/anchors' },
      ]),
    ).toEqual([]);
  });

  it('fits a phone without sideways scrolling', async () => {
    const w = await openPage(tb!, { phone: true });
    await signIn(w);
    await w.page.locator(testId(`alert-row-${ALERT_ID}`)).click({ timeout: WAIT_MS });
    await w.page
      .locator(`${testId('alert-messages')} tbody tr`)
      .first()
      .waitFor({ timeout: WAIT_MS });
    const { scrollWidth, innerWidth } = await layoutWidth(w.page);
    expect(scrollWidth).toBeLessThanOrEqual(innerWidth);
    await tb!.screenshot(w.page, 'relay-alerts-phone');
  });
});
