import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { StatusContext } from './context.ts';
import { notFound } from './errors.ts';
import { inspectBody, inspectRegisters } from './inspect.ts';
import { parseOr400 } from './validate.ts';

const ackBody = z.strictObject({ device: z.string().min(1), channel: z.string().min(1), rule: z.string().min(1) });

/** The two requests that act on the gateway: acknowledging an alarm and reading registers. */
export function registerActionRoutes(app: FastifyInstance, ctx: StatusContext): void {
  const { sources, live, hub } = ctx;

  app.post('/api/alarms/ack', async (request) => {
    const { device, channel, rule } = parseOr400(ackBody, request.body, 'body');
    if (sources.alarms.acknowledge(device, channel, rule) === undefined) {
      throw notFound(`no active unacknowledged alarm ${rule} on ${device}/${channel}`);
    }
    request.log.info({ device, channel, rule }, 'alarm acknowledged on the status page');
    hub.broadcast('alarms', { active: sources.alarms.active() });
    return { acknowledged: true };
  });

  app.post('/api/inspect', async (request) => {
    const body = parseOr400(inspectBody, request.body, 'body');
    return inspectRegisters(sources, body, (device) => live.deviceIds().includes(device));
  });
}
