/**
 * Issue 15 proof in a real browser (Debian chromium): an admin, a compliance user, a technician
 * and a viewer of organization A sign in with their passwords and each sees exactly the tabs the
 * permission table gives its role, and the ack action only where alerts.ack is held; a viewer's
 * ack, sent by hand from its page with its session and CSRF token, is refused (403). Sign-out
 * ends the session. The audit tab lists the technician's ack. The password form and the Audit
 * tab read in Spanish (issue 15 §6).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { can } from '../../cloud/identity/permissions.ts';
import type { Role } from '../../cloud/identity/principal.ts';
import { launchBrowser, type TestBrowser } from '../helpers/browser.ts';
import { alarmRecord, raised } from '../integration/alerts-setup.ts';
import { type IdentityRelay, ORG_ROLES, PASSWORD, startIdentityRelay } from '../integration/identity-setup.ts';
import { allowedWords, screenshotBoth, untranslated } from './i18n-walk.ts';
import { openPage, testId, unexpectedProblems, WAIT_MS, type WatchedPage } from './setup.ts';

const TABS = {
  gateways: 'gateways.read',
  readings: 'readings.read',
  alerts: 'alerts.read',
  dga: 'dga.read',
  anchors: 'anchor.read',
  audit: 'audit.read',
} as const;
const ALERT = 'alarm:gw-1:det-1:ch4:high2:1';

let r: IdentityRelay | undefined;
let tb: TestBrowser | undefined;

beforeAll(async () => {
  r = await startIdentityRelay({ kind: 'sqlite' });
  for (const role of ORG_ROLES) await r.user(`a-${role}`, role);
  await r.relay.store.addGateway('gw-1', 'sealed', Date.now());
  await r.relay.store.ingest({ gateway: 'gw-1', records: [alarmRecord('gw-1', 1, raised(), { ts: Date.now() })], now: Date.now(), clockOffsetMs: 0 });
  await r.relay.alerts!.pass();
  tb = await launchBrowser();
}, 60_000);

afterAll(async () => {
  await tb?.close();
  await r?.stop();
});

afterEach(() => {
  expect(tb?.external ?? []).toEqual([]);
});

async function signIn(role: Role, locale?: string, beforeSubmit?: (w: WatchedPage) => Promise<void>) {
  const w = await openPage(tb!, locale === undefined ? {} : { locale });
  const { page } = w;
  await page.goto(`${r!.url}/dashboard/`);
  await page.locator(testId('password-form')).waitFor({ state: 'visible', timeout: WAIT_MS });
  await beforeSubmit?.(w);
  await page.locator(testId('user-input')).fill(`a-${role}`);
  await page.locator(testId('password-input')).fill(PASSWORD);
  await page.locator(testId('password-submit')).click();
  await page.locator(testId('whoami')).waitFor({ state: 'visible', timeout: WAIT_MS });
  return w;
}

describe('relay dashboard: roles', () => {
  it.each(ORG_ROLES)('%s sees exactly its permitted tabs and actions', async (role) => {
    const w = await signIn(role);
    const { page } = w;
    expect(await page.locator(testId('whoami')).textContent()).toBe(`a-${role} (${role}, default)`);
    const visible: string[] = [];
    for (const tab of Object.keys(TABS)) if (await page.locator(testId(`tab-${tab}`)).isVisible()) visible.push(tab);
    expect(visible).toEqual(
      Object.entries(TABS)
        .filter(([, p]) => can(role, p))
        .map(([tab]) => tab),
    );

    await page.locator(testId('tab-alerts')).click();
    await page.locator(testId(`alert-row-${ALERT}`)).click();
    // The detail is drawn once the alert is fetched (its state line), the ack button with it.
    await page.locator(`${testId('alert-detail')} ${testId('alert-state')}`).waitFor({ state: 'visible', timeout: WAIT_MS });
    expect(await page.locator(testId('alert-ack')).isVisible()).toBe(can(role, 'alerts.ack'));
    await tb!.screenshot(page, `identity-dashboard-${role}`);
    expect(unexpectedProblems(w.problems)).toEqual([]);
    await page.context().close();
  });

  it("refuses a viewer's ack sent from its own page, with its session and CSRF token", async () => {
    const { page } = await signIn('viewer');
    const csrf = await page.evaluate(async () => {
      const res = await fetch('../v1/session', { credentials: 'same-origin' });
      return ((await res.json()) as { csrfToken: string }).csrfToken;
    });
    const status = await page.evaluate(
      async ([id, token]) =>
        (
          await fetch(`../v1/alerts/${encodeURIComponent(id)}/ack`, {
            method: 'POST',
            credentials: 'same-origin',
            headers: { 'content-type': 'application/json', 'x-csrf-token': token },
            body: '{}',
          })
        ).status,
      [ALERT, csrf] as const,
    );
    expect(status).toBe(403);
    expect((await r!.relay.alerts!.get(ALERT))?.alert.ackedAt).toBeNull();
    await page.context().close();
  });

  it("a technician's ack goes through; sign-out ends the session", async () => {
    const tech = await signIn('technician');
    await tech.page.locator(testId('tab-alerts')).click();
    await tech.page.locator(testId(`alert-row-${ALERT}`)).click();
    await tech.page.locator(testId('alert-ack')).click();
    // The list row says so once the relay has it (the detail is redrawn, its status line with it).
    await tech.page.locator(`${testId(`alert-row-${ALERT}`)}[data-acked="true"]`).waitFor({ timeout: WAIT_MS });
    expect((await r!.relay.alerts!.get(ALERT))?.alert.ackedBy).toBe('a-technician');
    await tech.page.locator(testId('logout')).click();
    await tech.page.locator(testId('password-form')).waitFor({ state: 'visible', timeout: WAIT_MS });
    const after = await tech.page.evaluate(async () => (await fetch('../v1/session', { credentials: 'same-origin' })).status);
    expect(after).toBe(401);
    await tech.page.context().close();
  });

  it("the admin's audit tab lists the technician's ack", async () => {
    const { page } = await signIn('admin');
    await page.locator(testId('tab-audit')).click();
    const row = page.locator('[data-testid^="audit-row-"][data-action="alert.ack"]');
    await row.first().waitFor({ timeout: WAIT_MS });
    expect(await row.first().innerText()).toContain('a-technician');
    await page.context().close();
  });

  it('in Spanish: the password form, the role and the Audit tab by their labels, every word from the catalogue (issue 15 §6)', async () => {
    const allowed = allowedWords('cloud/dashboard/ui/locales/es-CL.json', ['default', 'atk', ...ORG_ROLES.map((role) => `a-${role}`)]);
    const w = await signIn('admin', 'es-CL', async ({ page }) => {
      expect(await untranslated(page, allowed)).toEqual([]);
      await screenshotBoth(tb!, page, 'i18n-relay-password-es');
    });
    const { page } = w;
    expect(await page.locator(testId('whoami')).textContent()).toBe('a-admin (administrador, default)');
    await page.locator(testId('tab-audit')).click();
    const row = page.locator('[data-testid^="audit-row-"][data-action="session.login"]');
    await row.first().waitFor({ timeout: WAIT_MS });
    expect(await row.first().locator('td[data-col="action"]').innerText()).toBe('Ingreso al panel');
    expect(await untranslated(page, allowed)).toEqual([]);
    await screenshotBoth(tb!, page, 'i18n-relay-audit-es');
    expect(unexpectedProblems(w.problems)).toEqual([]);
    await page.context().close();
  });
});
