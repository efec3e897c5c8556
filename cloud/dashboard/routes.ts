/**
 * The operator dashboard (cloud/dashboard/ui): static files only, served without a token because
 * they hold no data; the page asks for an operator token and calls the read APIs with it.
 * Files are read once at registration and served from memory by exact name: no path from the URL
 * ever reaches the file system.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { SHARED_UI_FILES, sharedUiFile } from '../../platform/shared-ui.ts';
import { AtalayaError } from '../../protocols/errors.ts';
import type { ApiErrorBody } from '../http/errors.ts';
import { DASHBOARD_UNREADABLE } from './errors.ts';

export const DASHBOARD_PATH = '/dashboard/';

/**
 * The page loads nothing from elsewhere and runs no inline script; uPlot sets element styles,
 * hence style-src 'unsafe-inline' (the same policy as the agent's status page).
 */
export const DASHBOARD_CSP = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; connect-src 'self'";

const UI_DIR = fileURLToPath(new URL('./ui/', import.meta.url));

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

interface Asset {
  readonly body: Buffer;
  readonly type: string;
}

function unreadable(what: string, err: unknown): AtalayaError {
  return new AtalayaError(DASHBOARD_UNREADABLE, `dashboard: cannot read ${what} (${(err as NodeJS.ErrnoException).code ?? 'error'})`, {
    cause: err,
    details: { what },
  });
}

function asset(file: string): Asset {
  try {
    return { body: readFileSync(file), type: CONTENT_TYPES[path.extname(file)] ?? 'application/octet-stream' };
  } catch (err) {
    throw unreadable(file, err);
  }
}

/** A language catalogue's file name (`es-CL.json`): a BCP 47 tag, so no path can leave locales/. */
const CATALOGUE = /^([a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*)\.json$/;

/** The npm package's file (no copy kept in the repo). */
function packageFile(pkg: string, file: string): string {
  try {
    return path.join(path.dirname(createRequire(import.meta.url).resolve(`${pkg}/package.json`)), file);
  } catch (err) {
    throw unreadable(`${pkg} (npm package)`, err);
  }
}

/**
 * The UI's catalogues, `locales/<tag>.json`, and `locales.json`: the list of their tags, which is
 * how the page knows which languages it has (adding one is adding a file).
 */
function loadCatalogues(assets: Map<string, Asset>): void {
  let names: string[];
  try {
    names = readdirSync(path.join(UI_DIR, 'locales'));
  } catch (err) {
    throw unreadable(path.join(UI_DIR, 'locales'), err);
  }
  const tags: string[] = [];
  for (const name of names.sort()) {
    const m = CATALOGUE.exec(name);
    if (m === null) continue;
    tags.push(m[1]!);
    assets.set(`locales/${name}`, asset(path.join(UI_DIR, 'locales', name)));
  }
  assets.set('locales.json', { body: Buffer.from(JSON.stringify(tags)), type: CONTENT_TYPES['.json']! });
}

/** The UI's scripts and styles by name, uPlot and i18next from their packages, the catalogues. */
function loadAssets(): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  let names: string[];
  try {
    names = readdirSync(UI_DIR);
  } catch (err) {
    throw unreadable(UI_DIR, err);
  }
  for (const name of names) {
    if (/^[\w-]+\.(js|css)$/.test(name)) assets.set(name, asset(path.join(UI_DIR, name)));
  }
  let uplotDist: string;
  try {
    uplotDist = path.dirname(createRequire(import.meta.url).resolve('uplot/dist/uPlot.iife.min.js'));
  } catch (err) {
    throw unreadable('uplot (npm package)', err);
  }
  assets.set('uplot.iife.min.js', asset(path.join(uplotDist, 'uPlot.iife.min.js')));
  assets.set('uplot.min.css', asset(path.join(uplotDist, 'uPlot.min.css')));
  // i18next's ES module build is one self-contained file: the page imports it as ./i18next.js.
  assets.set('i18next.js', asset(packageFile('i18next', 'dist/esm/i18next.js')));
  // Modules both pages share (platform/ui), e.g. the page's words, i18n.js.
  for (const name of SHARED_UI_FILES) assets.set(name, asset(sharedUiFile(name)));
  loadCatalogues(assets);
  return assets;
}

function secure(reply: FastifyReply): FastifyReply {
  return (
    reply
      .header('content-security-policy', DASHBOARD_CSP)
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer')
      // Revalidate each load: an upgraded relay must not run yesterday's script against today's APIs.
      .header('cache-control', 'no-cache')
  );
}

/** GET /dashboard/, /dashboard/assets/<name> and /dashboard/assets/locales/<tag>.json; GET / and /dashboard redirect to /dashboard/. */
export async function registerDashboard(app: FastifyInstance): Promise<void> {
  const index = asset(path.join(UI_DIR, 'index.html'));
  const assets = loadAssets();

  app.get('/', async (_request, reply) => secure(reply).redirect(DASHBOARD_PATH, 302));
  // Without the slash the page's relative URLs (assets/…, ../v1/…) would resolve one level up.
  app.get('/dashboard', async (_request, reply) => secure(reply).redirect(DASHBOARD_PATH, 301));
  app.get(DASHBOARD_PATH, async (_request, reply) => secure(reply).type(index.type).send(index.body));
  app.get<{ Params: { name: string } }>(`${DASHBOARD_PATH}assets/:name`, async (request, reply) => {
    const found = assets.get(request.params.name);
    if (found === undefined)
      return secure(reply)
        .code(404)
        .send({ error: 'not_found', message: 'no such dashboard asset' } satisfies ApiErrorBody);
    return secure(reply).type(found.type).send(found.body);
  });
  app.get<{ Params: { name: string } }>(`${DASHBOARD_PATH}assets/locales/:name`, async (request, reply) => {
    const found = assets.get(`locales/${request.params.name}`);
    if (found === undefined)
      return secure(reply)
        .code(404)
        .send({ error: 'not_found', message: 'no such dashboard asset' } satisfies ApiErrorBody);
    return secure(reply).type(found.type).send(found.body);
  });
}
