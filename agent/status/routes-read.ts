import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { StatusContext } from './context.ts';
import { deviceViews } from './devices.ts';
import { notFound } from './errors.ts';
import { parseOr400 } from './validate.ts';

const seriesQuery = z.object({ device: z.string().min(1), channel: z.string().min(1) });

export function registerReadRoutes(app: FastifyInstance, ctx: StatusContext): void {
  const { sources, live, clock } = ctx;

  app.get('/api/overview', async () => ctx.overview());

  app.get('/api/devices', async () => ({ devices: deviceViews(sources, live, clock) }));

  app.get('/api/series', async (request) => {
    const { device, channel } = parseOr400(seriesQuery, request.query, 'query');
    const series = live.series(device, channel);
    if (series === undefined) throw notFound(`no channel ${channel} on device ${device}`);
    return { device, channel, unit: series.unit, points: series.points };
  });

  app.get('/api/alarms', async () => ({ active: sources.alarms.active(), recent: live.recentAlarms() }));

  app.get('/metrics', async (_request, reply) => {
    const { contentType, body } = await sources.metrics();
    return reply.type(contentType).send(body);
  });
}
