/**
 * Issue 15 §6: one catalogue per UI, the same keys in every language, and no string the pages ask
 * for that a catalogue lacks. The pages' modules are scanned for t('key') and index.html for
 * data-i18n* attributes; every key found must be in every catalogue, every catalogue key must be
 * used, and a placeholder ({{name}}) must be in every language's text of that key. A key built at
 * run time (t(`x.${y}`)) cannot be checked, so the scan refuses any t( whose argument is not a
 * string literal.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const UIS = ['cloud/dashboard/ui', 'agent/status/ui'] as const;
/** Modules both pages load (served as assets/<name> beside each UI's own): scanned with each UI. */
const SHARED_UI = 'platform/ui';

type Catalogue = { readonly [key: string]: string | Catalogue };

function flatten(c: Catalogue, prefix = ''): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of Object.entries(c)) {
    if (typeof v === 'string') out.set(`${prefix}${k}`, v);
    else for (const [kk, vv] of flatten(v, `${prefix}${k}.`)) out.set(kk, vv);
  }
  return out;
}

function catalogues(ui: string): Map<string, Map<string, string>> {
  const dir = path.join(ui, 'locales');
  return new Map(
    fs
      .readdirSync(dir)
      .filter((f) => f.endsWith('.json'))
      .map((f) => [f.replace(/\.json$/, ''), flatten(JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as Catalogue)]),
  );
}

/** Keys the UI asks for: t('…') in its modules, data-i18n*="…" in index.html. */
function usedKeys(ui: string, shared: readonly string[] = [SHARED_UI]): { keys: Set<string>; dynamic: string[] } {
  const keys = new Set<string>();
  const dynamic: string[] = [];
  const modules = [ui, ...shared].flatMap((dir) =>
    fs
      .readdirSync(dir)
      .filter((f) => f.endsWith('.js'))
      .map((f) => path.join(dir, f)),
  );
  for (const module of modules) {
    const file = path.basename(module);
    const source = fs.readFileSync(module, 'utf8');
    for (const m of source.matchAll(/(?<![\w.$])t\(\s*'([^']+)'/g)) keys.add(m[1]!);
    // i18n.js itself passes keys through (t(key), t(node.dataset.i18n)).
    if (file === 'i18n.js') continue;
    for (const m of source.matchAll(/(?<![\w.$])t\(\s*([^'\s)])/g)) dynamic.push(`${file}: t(${m[1]}…`);
  }
  const html = fs.readFileSync(path.join(ui, 'index.html'), 'utf8');
  for (const m of html.matchAll(/data-i18n(?:-[a-z-]+)?="([^"]+)"/g)) keys.add(m[1]!);
  return { keys, dynamic };
}

const placeholders = (text: string): string[] => [...text.matchAll(/\{\{\s*(\w+)\s*\}\}/g)].map((m) => m[1]!).sort();

describe.each(UIS)('%s catalogues', (ui) => {
  const all = catalogues(ui);
  const en = all.get('en')!;

  it('has English and Chilean Spanish', () => {
    expect([...all.keys()].sort()).toEqual(expect.arrayContaining(['en', 'es-CL']));
  });

  it('every language has exactly the keys of every other, none empty, with the same placeholders', () => {
    for (const [lang, c] of all) {
      expect([...c.keys()].sort(), lang).toEqual([...en.keys()].sort());
      for (const [key, text] of c) {
        expect(text.trim(), `${lang} ${key}`).not.toBe('');
        expect(placeholders(text), `${lang} ${key}`).toEqual(placeholders(en.get(key)!));
      }
    }
  });

  it('every key the page asks for is in the catalogues, and every catalogue key is asked for', () => {
    const { keys, dynamic } = usedKeys(ui);
    expect(dynamic).toEqual([]);
    expect([...keys].filter((k) => !en.has(k))).toEqual([]);
    expect([...en.keys()].filter((k) => !keys.has(k))).toEqual([]);
  });

  it('names each language in itself for the switch', () => {
    expect(all.get('es-CL')!.get('language.short')).toBe('ES');
    expect(en.get('language.short')).toBe('EN');
  });
});

describe('the scan', () => {
  it('finds a key missing from a catalogue and a key built at run time', () => {
    const dir = fs.mkdtempSync(path.join(fs.realpathSync('/tmp'), 'atalaya-i18n-'));
    try {
      fs.writeFileSync(path.join(dir, 'index.html'), '<title data-i18n="app.title"></title><p data-i18n-title="app.hint"></p>');
      fs.writeFileSync(path.join(dir, 'x.js'), "el('p', {}, t('x.known'), t(`x.${kind}`), t( 'x.missing'));");
      const { keys, dynamic } = usedKeys(dir, []);
      expect([...keys].sort()).toEqual(['app.hint', 'app.title', 'x.known', 'x.missing']);
      expect(dynamic).toEqual(['x.js: t(`…']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
