// The words of both browser pages, the agent's status page and the relay's dashboard: one copy,
// served by each beside its own modules as assets/i18n.js (platform/shared-ui.ts). One catalogue
// per language, locales/<tag>.json, every one with the same keys; the server lists the files it
// finds at assets/locales.json, so another language is one more file. i18next (served from its
// npm package as assets/i18next.js) looks the keys up. Any module imports `t` from here;
// index.html marks its static text with data-i18n (textContent) and data-i18n-title /
// -aria-label / -placeholder (attributes). URLs are relative to the page: /assets/… on the
// agent, /dashboard/assets/… on the relay.

import { setFormatLocale } from './format.js';
import i18next from './i18next.js';

const STORAGE_KEY = 'atalaya.lang';
const FALLBACK = 'en';
const ATTRIBUTES = ['title', 'aria-label', 'placeholder'];

let languages = [FALLBACK];

/** The text of `key` in the page's language; `vars` fill its {{placeholders}}. */
export const t = (key, vars) => i18next.t(key, vars);

/**
 * The first of the browser's preferred languages the page has: an exact tag first, else the same
 * primary language (es-AR → es-CL); English when none.
 */
export function pickLanguage(wanted, available) {
  for (const tag of wanted) if (available.includes(tag)) return tag;
  for (const tag of wanted) {
    const primary = tag.toLowerCase().split('-')[0];
    const found = available.find((a) => a.toLowerCase().split('-')[0] === primary);
    if (found !== undefined) return found;
  }
  return available.includes(FALLBACK) ? FALLBACK : (available[0] ?? FALLBACK);
}

async function json(url) {
  const res = await fetch(url, { cache: 'no-cache', credentials: 'omit' });
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return res.json();
}

/** Loads the catalogues, picks the language (the saved choice, else the browser's) and translates index.html. */
export async function initI18n() {
  languages = await json('assets/locales.json');
  const catalogues = await Promise.all(languages.map((tag) => json(`assets/locales/${encodeURIComponent(tag)}.json`)));
  let saved = null;
  try {
    saved = localStorage.getItem(STORAGE_KEY);
  } catch {
    // Storage off (private mode): the browser's language every time.
  }
  const lng = saved !== null && languages.includes(saved) ? saved : pickLanguage(navigator.languages ?? [navigator.language], languages);
  await i18next.init({
    lng,
    fallbackLng: FALLBACK,
    resources: Object.fromEntries(languages.map((tag, i) => [tag, { translation: catalogues[i] }])),
    // Text goes into the page with textContent only: nothing to escape.
    interpolation: { escapeValue: false },
  });
  document.documentElement.lang = lng;
  setFormatLocale(lng);
  translateDocument(document);
  return lng;
}

/** The static text of `root` marked with data-i18n*. */
export function translateDocument(root) {
  for (const node of root.querySelectorAll('[data-i18n]')) node.textContent = t(node.dataset.i18n);
  for (const attr of ATTRIBUTES) {
    for (const node of root.querySelectorAll(`[data-i18n-${attr}]`)) node.setAttribute(attr, t(node.getAttribute(`data-i18n-${attr}`)));
  }
}

/** ES | EN: a button per catalogue; the choice is saved in localStorage and the page reloads in it. */
export function languageSwitch() {
  const current = i18next.language;
  const group = document.createElement('div');
  group.className = 'lang-switch';
  group.setAttribute('role', 'group');
  group.setAttribute('aria-label', t('language.choose'));
  for (const tag of languages) {
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'lang';
    button.lang = tag;
    // Each language named in itself (English, Español): not for translating.
    button.setAttribute('translate', 'no');
    button.dataset.testid = `lang-${tag}`;
    button.setAttribute('aria-pressed', String(tag === current));
    button.title = t('language.name', { lng: tag });
    button.textContent = t('language.short', { lng: tag });
    button.addEventListener('click', () => {
      try {
        localStorage.setItem(STORAGE_KEY, tag);
      } catch {
        // Without storage the choice lasts this load only: reload with it anyway.
      }
      location.reload();
    });
    group.append(button);
  }
  return group;
}
