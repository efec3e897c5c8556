import { readdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { sharedUiFile } from '../../platform/shared-ui.ts';
import type { StatusContext } from './context.ts';
import { notFound } from './errors.ts';

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
};
/** A page file under /assets/: one plain name, so no path can leave the ui directory. */
const ASSET_NAME = /^[a-z0-9][a-z0-9-]*\.(?:js|css)$/;
/** A language catalogue under /assets/locales/: a BCP 47 tag (`es-CL.json`), so no path can leave locales/. */
const CATALOGUE = /^([a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*)\.json$/;

/**
 * The page: plain files (index.html and the ES modules and styles beside it in ui/), no build
 * step, nothing fetched from outside the gateway (uPlot and i18next come from node_modules; the
 * catalogues are ui/locales/<tag>.json, listed at /assets/locales.json). They hold no
 * data, so they are public; `no-cache` lets a browser keep them but revalidate, so an upgraded
 * agent serves its new page at once.
 */
export function registerStaticRoutes(app: FastifyInstance, ctx: StatusContext): void {
  const uplot = (file: string): string => createRequire(import.meta.url).resolve(`uplot/dist/${file}`);
  // i18next's ES module build is one self-contained file: the page imports it as ./i18next.js.
  const i18next = (): string => path.join(path.dirname(createRequire(import.meta.url).resolve('i18next/package.json')), 'dist', 'esm', 'i18next.js');
  const cache = new Map<string, Buffer>();
  const send = async (reply: FastifyReply, file: string): Promise<FastifyReply> => {
    let body = cache.get(file);
    if (body === undefined) {
      try {
        body = await readFile(file);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw notFound(`no file ${path.basename(file)}`);
        throw err;
      }
      cache.set(file, body);
    }
    return reply
      .type(TYPES[path.extname(file)] ?? 'application/octet-stream')
      .header('cache-control', 'no-cache')
      .send(body);
  };

  app.get('/', { config: { public: true } }, async (_request, reply) => send(reply, path.join(ctx.uiDir, 'index.html')));
  app.get('/assets/uplot.iife.min.js', { config: { public: true } }, async (_request, reply) => send(reply, uplot('uPlot.iife.min.js')));
  app.get('/assets/uplot.min.css', { config: { public: true } }, async (_request, reply) => send(reply, uplot('uPlot.min.css')));
  app.get('/assets/i18next.js', { config: { public: true } }, async (_request, reply) => send(reply, i18next()));
  // The page's words: the module both pages share (platform/ui).
  app.get('/assets/i18n.js', { config: { public: true } }, async (_request, reply) => send(reply, sharedUiFile('i18n.js')));
  // The languages the page has: the catalogue files found in ui/locales/ (adding one is adding a file).
  app.get('/assets/locales.json', { config: { public: true } }, async (_request, reply) => {
    let names: string[];
    try {
      names = await readdir(path.join(ctx.uiDir, 'locales'));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw notFound('no file locales.json');
      throw err;
    }
    const tags = names
      .map((name) => CATALOGUE.exec(name)?.[1])
      .filter((tag): tag is string => tag !== undefined)
      .sort();
    return reply.type(TYPES['.json']!).header('cache-control', 'no-cache').send(JSON.stringify(tags));
  });
  app.get<{ Params: { file: string } }>('/assets/locales/:file', { config: { public: true } }, async (request, reply) => {
    const { file } = request.params;
    if (!CATALOGUE.test(file)) throw notFound(`no file ${file}`);
    return send(reply, path.join(ctx.uiDir, 'locales', file));
  });
  app.get<{ Params: { file: string } }>('/assets/:file', { config: { public: true } }, async (request, reply) => {
    const { file } = request.params;
    if (!ASSET_NAME.test(file)) throw notFound(`no file ${file}`);
    return send(reply, path.join(ctx.uiDir, file));
  });
}
