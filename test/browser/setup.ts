/** Shared by the browser tests: pages that record their errors with the URL they concern, waits by test id. */
import type { Page } from 'playwright-core';
import type { TestBrowser } from '../helpers/browser.ts';

/** Upper bound of every wait on the page (auto-waiting, never a fixed sleep), ms. */
export const WAIT_MS = 15_000;

/** A console error or an uncaught exception of one page. */
export interface Problem {
  readonly text: string;
  /** The resource the console message is about (for "Failed to load resource"), else the page. */
  readonly url: string;
}

/** An HTTP error answer the test expects the page to meet (e.g. 401 before sign-in). */
export interface Expected {
  readonly status: number;
  readonly path: string;
}

export interface WatchedPage {
  readonly page: Page;
  readonly problems: Problem[];
  /** pathname and status of every answer the page received from its origin. */
  readonly answers: Array<{ path: string; status: number }>;
}

/** A fresh page (own cookies) of `tb` whose console errors and answers are recorded. */
export async function openPage(tb: TestBrowser, options: { phone?: boolean; locale?: string } = {}): Promise<WatchedPage> {
  const page = await tb.newPage(options);
  const problems: Problem[] = [];
  const answers: Array<{ path: string; status: number }> = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push({ text: msg.text(), url: msg.location().url });
  });
  page.on('pageerror', (err) => problems.push({ text: `pageerror: ${err.message}`, url: page.url() }));
  page.on('response', (res) => answers.push({ path: new URL(res.url()).pathname, status: res.status() }));
  return { page, problems, answers };
}

// Chromium logs every non-2xx fetch as a console error with this text and the resource's URL.
const FAILED_LOAD = /^Failed to load resource: the server responded with a status of (\d{3}) /;

/** The problems that are not one of the `expected` HTTP answers (matched by status and exact path). */
export function unexpectedProblems(problems: readonly Problem[], expected: readonly Expected[] = []): Problem[] {
  return problems.filter((p) => {
    const m = FAILED_LOAD.exec(p.text);
    if (m === null || p.url === '') return true;
    const path = new URL(p.url).pathname;
    return !expected.some((e) => e.status === Number(m[1]) && e.path === path);
  });
}

export const testId = (id: string): string => `[data-testid="${id}"]`;

/**
 * What the page functions below use of the browser. The project compiles without the DOM lib, so
 * they reach it through a cast of globalThis (casts vanish: the functions run as is in the page).
 */
interface Dom {
  readonly document: {
    querySelector(selector: string): { textContent: string | null; dataset: Record<string, string | undefined> } | null;
    readonly scrollingElement: { scrollWidth: number } | null;
  };
  readonly innerWidth: number;
}

/** Text of a test id, trimmed ('' when absent). */
export async function textOf(page: Page, id: string): Promise<string> {
  return ((await page.locator(testId(id)).textContent({ timeout: WAIT_MS })) ?? '').trim();
}

/** Waits until the element's text is `want`. */
export async function waitForText(page: Page, id: string, want: string): Promise<void> {
  await page.waitForFunction(
    ([sel, text]) => (globalThis as unknown as Dom).document.querySelector(sel)?.textContent?.trim() === text,
    [testId(id), want] as const,
    { timeout: WAIT_MS },
  );
}

/** Waits until the element's text differs from `from` (and is not empty). */
export async function waitForTextChange(page: Page, id: string, from: string): Promise<string> {
  await page.waitForFunction(
    ([sel, old]) => {
      const text = (globalThis as unknown as Dom).document.querySelector(sel)?.textContent?.trim() ?? '';
      return text !== '' && text !== old;
    },
    [testId(id), from] as const,
    { timeout: WAIT_MS },
  );
  return textOf(page, id);
}

/** Waits until attribute `data-<key>` of the element is `want`. */
export async function waitForData(page: Page, id: string, key: string, want: string): Promise<void> {
  await page.waitForFunction(([sel, k, v]) => (globalThis as unknown as Dom).document.querySelector(sel)?.dataset[k] === v, [testId(id), key, want] as const, {
    timeout: WAIT_MS,
  });
}

/**
 * The main layout's width against the viewport's: no horizontal scrolling when scrollWidth ≤
 * innerWidth. Measured two animation frames later: after a viewport change, the charts follow
 * their containers through ResizeObserver, whose callbacks run after the next frame's
 * animation callbacks (a chart still at the old width was measured once under load).
 */
export function layoutWidth(page: Page): Promise<{ scrollWidth: number; innerWidth: number }> {
  return page.evaluate(async () => {
    const w = globalThis as unknown as Dom & { requestAnimationFrame(f: () => void): number };
    for (let i = 0; i < 2; i++) await new Promise<void>((resolve) => w.requestAnimationFrame(() => resolve()));
    return { scrollWidth: w.document.scrollingElement?.scrollWidth ?? Number.NaN, innerWidth: w.innerWidth };
  });
}
