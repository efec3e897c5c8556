import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DASHBOARD_CSP } from '../../cloud/dashboard/routes.ts';
import { SHARED_UI_FILES } from '../../platform/shared-ui.ts';
import { startTestRelay, type TestRelay } from './relay-setup.ts';

/** The relay's operator dashboard (cloud/dashboard): static files, security headers, no outside requests. */
const UI_DIR = fileURLToPath(new URL('../../cloud/dashboard/ui/', import.meta.url));
const CSP = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; connect-src 'self'";

let t: TestRelay;
beforeAll(async () => {
  t = await startTestRelay();
});
afterAll(async () => {
  await t?.stop();
});

interface Fetched {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly text: string;
}

async function fetchPath(pathAndQuery: string): Promise<Fetched> {
  const res = await request(`${t.url}${pathAndQuery}`);
  return { status: res.statusCode, headers: res.headers, text: await res.body.text() };
}

function expectSecured(res: Fetched): void {
  expect(res.headers['content-security-policy']).toBe(CSP);
  expect(res.headers['x-content-type-options']).toBe('nosniff');
  expect(res.headers['referrer-policy']).toBe('no-referrer');
}

/** src/href of index.html, then every module app.js imports, transitively: what a browser loads. */
async function crawl(): Promise<Map<string, Fetched>> {
  const loaded = new Map<string, Fetched>();
  const index = await fetchPath('/dashboard/');
  const queue = [...index.text.matchAll(/\s(?:src|href)="([^"]+)"/g)].map((m) => m[1]!).filter((u) => !u.startsWith('data:'));
  while (queue.length > 0) {
    const ref = queue.shift()!;
    const url = new URL(ref, `${t.url}/dashboard/`).pathname;
    if (loaded.has(url)) continue;
    const res = await fetchPath(url);
    loaded.set(url, res);
    if (url.endsWith('.js') && !url.includes('uplot')) {
      for (const m of res.text.matchAll(/^import\s[^;]*?from\s+'([^']+)';/gm)) queue.push(new URL(m[1]!, `${t.url}${url}`).pathname);
    }
  }
  return loaded;
}

describe('relay dashboard', () => {
  it('GET / redirects to /dashboard/, and /dashboard to /dashboard/ (relative URLs need the slash)', async () => {
    const root = await fetchPath('/');
    expect(root.status).toBe(302);
    expect(root.headers['location']).toBe('/dashboard/');
    expectSecured(root);
    const bare = await fetchPath('/dashboard');
    expect(bare.status).toBe(301);
    expect(bare.headers['location']).toBe('/dashboard/');
  });

  it('serves the page without a token, with the CSP, nosniff and no-referrer', async () => {
    const res = await fetchPath('/dashboard/');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expectSecured(res);
    expect(DASHBOARD_CSP).toBe(CSP);
    for (const testid of ['login-form', 'token-input', 'login-submit', 'tab-gateways', 'tab-readings', 'tab-dga', 'tab-anchors']) {
      expect(res.text).toContain(`data-testid="${testid}"`);
    }
  });

  it('serves every script, module and stylesheet the page loads, with its content type and the CSP', async () => {
    const loaded = await crawl();
    const paths = [...loaded.keys()];
    expect(paths).toEqual(
      expect.arrayContaining([
        '/dashboard/assets/app.js',
        '/dashboard/assets/app.css',
        '/dashboard/assets/uplot.iife.min.js',
        '/dashboard/assets/uplot.min.css',
        '/dashboard/assets/api.js',
        '/dashboard/assets/readings.js',
        '/dashboard/assets/chart.js',
        '/dashboard/assets/anchors.js',
      ]),
    );
    for (const [url, res] of loaded) {
      expect(res.status, url).toBe(200);
      expect(res.headers['content-type'], url).toBe(url.endsWith('.css') ? 'text/css; charset=utf-8' : 'text/javascript; charset=utf-8');
      expectSecured(res);
    }
    // Every UI script is reachable from the page: none is served but never loaded, none loaded but missing
    // (uPlot and i18next come from their npm packages, not from ui/; i18n.js from platform/ui, shared
    // with the agent's status page).
    const scripts = [...fs.readdirSync(UI_DIR), ...SHARED_UI_FILES].filter((f) => f.endsWith('.js')).map((f) => `/dashboard/assets/${f}`);
    expect(paths.filter((p) => p.endsWith('.js') && !p.includes('uplot') && !p.endsWith('/i18next.js')).sort()).toEqual(scripts.sort());
  });

  it('refers to nothing outside the relay: no absolute URL in the page, its scripts or styles', async () => {
    const index = await fetchPath('/dashboard/');
    for (const m of index.text.matchAll(/\s(?:src|href|action)="([^"]*)"/g)) expect(m[1]!, m[0]).toMatch(/^(?:data:|[a-z][\w.-]*\/?[\w.-]*$)/);
    for (const [url, res] of await crawl()) {
      // uPlot's licence banner names its repository; that comment is not a request.
      const code = url.includes('uplot') ? res.text.replace(/\/\*[\s\S]*?\*\//g, '') : res.text;
      expect(code, url).not.toMatch(/https?:\/\//i);
      expect(code, url).not.toMatch(/@import|url\(\s*['"]?\/\//i);
    }
    // The page's files and its language catalogues (locales/).
    const files = [
      ...fs.readdirSync(UI_DIR).filter((f) => f !== 'locales'),
      ...fs.readdirSync(path.join(UI_DIR, 'locales')).map((f) => path.join('locales', f)),
    ];
    for (const file of files) expect(fs.readFileSync(path.join(UI_DIR, file), 'utf8'), file).not.toMatch(/https?:\/\//i);
  });

  it('has no inline script and writes data only as text', async () => {
    const index = (await fetchPath('/dashboard/')).text;
    const scripts = [...index.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.length).toBeGreaterThan(0);
    for (const [, attrs, body] of scripts) {
      expect(attrs).toMatch(/\ssrc="/);
      expect(body!.trim()).toBe('');
    }
    expect(index).not.toMatch(/\son[a-z]+=|javascript:/i);
    for (const file of fs.readdirSync(UI_DIR).filter((f) => f.endsWith('.js'))) {
      expect(fs.readFileSync(path.join(UI_DIR, file), 'utf8'), file).not.toMatch(
        /innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function/,
      );
    }
  });

  it('ships browser scripts that parse', () => {
    for (const file of fs.readdirSync(UI_DIR).filter((f) => f.endsWith('.js'))) {
      expect(() => execFileSync(process.execPath, ['--check', path.join(UI_DIR, file)], { stdio: 'pipe' }), file).not.toThrow();
    }
  });

  it('answers 404 for anything not in its asset list, and never reads a path from the URL', async () => {
    for (const p of [
      '/dashboard/assets/nope.js',
      '/dashboard/assets/routes.ts',
      '/dashboard/assets/..%2Froutes.ts',
      '/dashboard/assets/%2e%2e%2f%2e%2e%2fmain.ts',
      '/dashboard/assets/index.html',
      '/dashboard/assets/',
    ]) {
      const res = await fetchPath(p);
      expect(res.status, p).toBe(404);
      expect(res.text, p).not.toContain('registerDashboard');
    }
  });
});
