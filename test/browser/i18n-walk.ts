/**
 * Issue 15 §6: a page in Spanish shows no text that is not from its catalogue. Every visible text
 * node, the title/aria-label/placeholder of every visible element and the document's title are
 * split into words; each word must occur in the es-CL catalogue's texts, or be data the test put
 * there (ids, channel names, units). Text the page marks translate="no" is data from the APIs
 * (an alert's title, DGA's message) and is skipped. A string written in English, or a key with no
 * text, fails the check with the text it was found in.
 */
import fs from 'node:fs';
import type { Page } from 'playwright-core';
import { expect } from 'vitest';
import type { TestBrowser } from '../helpers/browser.ts';
import { layoutWidth } from './setup.ts';

/** Units and symbols the pages write beside values (SI and the sector's: they are not words to translate). */
export const UNITS = ['s', 'ms', 'min', 'h', 'd', 'B', 'KB', 'MB', 'GB', 'TB', 'ETH', 'gwei', 'm', 'm³', 'l', 'L', 'cm', '°C', 'v'];

type Catalogue = { readonly [key: string]: string | Catalogue };

function texts(c: Catalogue): string[] {
  return Object.values(c).flatMap((v) => (typeof v === 'string' ? [v] : texts(v)));
}

const WORD = /\p{L}[\p{L}\p{M}³]*/gu;
/**
 * The words of a text, lower-cased; a token with a digit in it (`0x42f6`, `2,4e-41`, `caudal-1`,
 * `UTC−4`) is a number or an id, not a word, and placeholders ({{name}}) are left out.
 */
const words = (text: string): string[] =>
  text
    .replace(/\{\{[^}]*\}\}/g, ' ')
    .split(/\s+/)
    .filter((token) => !/\d/.test(token))
    .flatMap((token) => token.match(WORD) ?? [])
    .map((w) => w.toLowerCase());

/** The words a page in this catalogue's language may show, from the catalogue file and the test's data. */
export function allowedWords(catalogueFile: string, data: readonly string[]): Set<string> {
  const catalogue = JSON.parse(fs.readFileSync(catalogueFile, 'utf8')) as Catalogue;
  return new Set([...texts(catalogue).flatMap(words), ...data.flatMap(words), ...UNITS.flatMap(words)]);
}

/** What the page function below uses of the DOM (the project compiles without the DOM lib). */
interface El {
  readonly parentElement: El | null;
  readonly nodeType: number;
  readonly nodeValue: string | null;
  readonly childNodes: ArrayLike<El>;
  closest(selector: string): El | null;
  checkVisibility?(options: Record<string, boolean>): boolean;
  getAttribute(name: string): string | null;
  querySelectorAll(selector: string): ArrayLike<El>;
}

/** Visible text of the page: text nodes, the three attributes people read, the title. */
export function visibleTexts(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const doc = (globalThis as unknown as { document: { body: El; title: string } }).document;
    const shown = (e: El | null): boolean =>
      e !== null && e.closest('[translate="no"]') === null && (e.checkVisibility?.({ checkOpacity: true, checkVisibilityCSS: true }) ?? true);
    const out: string[] = [doc.title];
    const walk = (node: El): void => {
      for (const child of Array.from(node.childNodes)) {
        if (child.nodeType === 3) {
          const text = (child.nodeValue ?? '').trim();
          if (text !== '' && shown(node)) out.push(text);
        } else if (child.nodeType === 1) walk(child);
      }
    };
    walk(doc.body);
    for (const e of Array.from(doc.body.querySelectorAll('[title], [aria-label], [placeholder]'))) {
      if (!shown(e)) continue;
      for (const attr of ['title', 'aria-label', 'placeholder']) {
        const v = e.getAttribute(attr);
        if (v !== null && v.trim() !== '') out.push(v.trim());
      }
    }
    return out;
  });
}

/** The visible texts with a word outside `allowed` (each with the word), for an assertion against []. */
export async function untranslated(page: Page, allowed: ReadonlySet<string>): Promise<string[]> {
  return (await visibleTexts(page)).flatMap((text) => {
    const bad = words(text).filter((w) => !allowed.has(w));
    return bad.length === 0 ? [] : [`${JSON.stringify(text)} (${bad.join(', ')})`];
  });
}

/** The first elements that reach past the window's right edge (tag, test id, class, right edge px), to say what to fix. */
function overflowing(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    interface Box {
      readonly tagName: string;
      readonly className: unknown;
      getAttribute(name: string): string | null;
      getBoundingClientRect(): { right: number };
    }
    const w = globalThis as unknown as { innerWidth: number; document: { querySelectorAll(s: string): ArrayLike<Box> } };
    return Array.from(w.document.querySelectorAll('body *'))
      .filter((e) => e.getBoundingClientRect().right > w.innerWidth + 1)
      .slice(0, 8)
      .map(
        (e) => `${e.tagName.toLowerCase()}[${e.getAttribute('data-testid') ?? ''}].${String(e.className)} → ${Math.round(e.getBoundingClientRect().right)} px`,
      );
  });
}

/**
 * Screenshots of the page at a phone's width (390×844) and a desktop's (1366×900), named
 * `<name>-phone|desktop`; fails when the longer Spanish texts make the phone page scroll sideways.
 */
export async function screenshotBoth(tb: TestBrowser, page: Page, name: string): Promise<void> {
  const before = page.viewportSize();
  await page.setViewportSize({ width: 390, height: 844 });
  const { scrollWidth, innerWidth } = await layoutWidth(page);
  const wide = scrollWidth > innerWidth + 1 ? await overflowing(page) : [];
  expect(scrollWidth, `${name}: page wider than the phone (${wide.join('; ')})`).toBeLessThanOrEqual(innerWidth + 1);
  await tb.screenshot(page, `${name}-phone`);
  await page.setViewportSize({ width: 1366, height: 900 });
  await tb.screenshot(page, `${name}-desktop`);
  if (before !== null) await page.setViewportSize(before);
}
