import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { StatusContext } from './context.ts';
import { notFound } from './errors.ts';

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};
/** A page file under /assets/: one plain name, so no path can leave the ui directory. */
const ASSET_NAME = /^[a-z0-9][a-z0-9-]*\.(?:js|css)$/;

/**
 * The page: plain files (index.html and the ES modules and styles beside it in ui/), no build
 * step, nothing fetched from outside the gateway (uPlot comes from node_modules). They hold no
 * data, so they are public; `no-cache` lets a browser keep them but revalidate, so an upgraded
 * agent serves its new page at once.
 */
export function registerStaticRoutes(app: FastifyInstance, ctx: StatusContext): void {
  const uplot = (file: string): string => createRequire(import.meta.url).resolve(`uplot/dist/${file}`);
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
  app.get<{ Params: { file: string } }>('/assets/:file', { config: { public: true } }, async (request, reply) => {
    const { file } = request.params;
    if (!ASSET_NAME.test(file)) throw notFound(`no file ${file}`);
    return send(reply, path.join(ctx.uiDir, file));
  });
}
