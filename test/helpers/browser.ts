/**
 * A real browser for the UI tests: Debian's chromium (installed by bin/system-deps.mjs) driven by
 * playwright-core. Every request that is not to 127.0.0.1/localhost is aborted and recorded, so a
 * test can assert the pages work on a gateway with no internet. Screenshots go to
 * test-artifacts/ (gitignored; CI keeps it as an artifact).
 */
import fs from 'node:fs';
import path from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';

export const ARTIFACTS = path.resolve('test-artifacts');

/** Where chromium is: CHROMIUM_PATH, else Debian's /usr/bin/chromium. */
export function chromiumPath(): string {
  return process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
}

export interface TestBrowser {
  readonly browser: Browser;
  /**
   * A fresh context (own cookies, phone-sized when asked) whose off-machine requests are blocked;
   * `locale` sets the browser's language (navigator.languages), e.g. 'es-CL'; en-US when not given,
   * so a page that follows the browser's language is in English whatever the machine's LANG.
   */
  newPage(options?: { phone?: boolean; locale?: string }): Promise<Page>;
  /** URLs of requests that tried to leave the machine, in every context of this browser. */
  readonly external: string[];
  /** Every console error and uncaught page error, for assertions. */
  readonly pageErrors: string[];
  screenshot(page: Page, name: string): Promise<string>;
  close(): Promise<void>;
}

const LOCAL = /^(https?|wss?):\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d+)?\//;

export async function launchBrowser(): Promise<TestBrowser> {
  // npm test checks this before any suite starts; a direct vitest run gets the same instruction.
  try {
    fs.accessSync(chromiumPath(), fs.constants.X_OK);
  } catch (cause) {
    throw new Error(`no chromium at ${chromiumPath()} (CHROMIUM_PATH): run node bin/system-deps.mjs, which installs it`, { cause });
  }
  const browser = await chromium.launch({
    executablePath: chromiumPath(),
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
  const external: string[] = [];
  const pageErrors: string[] = [];
  const contexts: BrowserContext[] = [];
  return {
    browser,
    external,
    pageErrors,
    async newPage(options = {}) {
      const context = await browser.newContext({
        ...(options.phone === true
          ? { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true }
          : { viewport: { width: 1280, height: 900 } }),
        locale: options.locale ?? 'en-US',
      });
      contexts.push(context);
      await context.route('**/*', async (route) => {
        const url = route.request().url();
        if (LOCAL.test(url) || url.startsWith('data:') || url.startsWith('blob:')) return route.continue();
        external.push(url);
        return route.abort('blockedbyclient');
      });
      const page = await context.newPage();
      page.on('pageerror', (err) => pageErrors.push(`pageerror: ${err.message}`));
      page.on('console', (msg) => {
        if (msg.type() === 'error') pageErrors.push(`console: ${msg.text()}`);
      });
      return page;
    },
    async screenshot(page, name) {
      fs.mkdirSync(ARTIFACTS, { recursive: true });
      const file = path.join(ARTIFACTS, `${name}.png`);
      await page.screenshot({ path: file, fullPage: true });
      return file;
    },
    async close() {
      for (const c of contexts) await c.close().catch(() => undefined);
      await browser.close();
    },
  };
}
