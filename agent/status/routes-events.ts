import type { FastifyInstance } from 'fastify';
import { SECURITY_HEADERS, type StatusContext } from './context.ts';

/**
 * GET /api/events: a Server-Sent Events stream. The reply is hijacked (Fastify no longer owns it),
 * so the headers its hooks would add are written here. A new stream gets the current alarms and
 * overview at once, then the hub's events.
 */
export function registerEventRoutes(app: FastifyInstance, ctx: StatusContext): void {
  const { hub, sources } = ctx;
  app.get('/api/events', async (request, reply) => {
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      ...SECURITY_HEADERS,
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      // A reverse proxy (nginx) in front must not buffer the stream.
      'x-accel-buffering': 'no',
    });
    res.write('retry: 3000\n\n');
    hub.add(res);
    hub.sendTo(res, 'alarms', { active: sources.alarms.active() });
    try {
      hub.sendTo(res, 'overview', await ctx.overview());
    } catch (err) {
      request.log.warn({ err }, 'overview not built for a new event stream');
    }
  });
}
