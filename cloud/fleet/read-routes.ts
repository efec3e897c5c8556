/**
 * GET /v1/fleet (one row per gateway: online/offline, last seen, version, config version, health
 * flags) and GET /v1/fleet/<gateway> (the row, the latest report, the history), behind the
 * operator tokens like the other read APIs.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Clock } from '../../protocols/clock.ts';
import { type ApiTokenEntry, bearerAuth } from '../http/auth.ts';
import type { ApiErrorBody } from '../http/errors.ts';
import { parseQuery } from '../http/query.ts';
import { GATEWAY_ID_PATTERN } from '../ingest/gateway-secrets.ts';
import type { FleetStore } from '../store/fleet-types.ts';
import type { RelayStore } from '../store/types.ts';
import type { FleetConfig } from './schema.ts';
import { fleetRow, fleetRows } from './view.ts';

/** Most history rows one answer holds (a day of one-minute reports is 1 440). */
export const MAX_HISTORY_ROWS = 5000;

const historyQuerySchema = z.strictObject({
  since: z.coerce.number().int().min(0).optional().describe('Oldest history row, ms since the epoch; default: fleet.historyMs ago'),
  limit: z.coerce.number().int().min(1).max(MAX_HISTORY_ROWS).default(MAX_HISTORY_ROWS),
});

export interface FleetReadRoutesOptions {
  readonly records: RelayStore;
  readonly fleet: FleetStore;
  readonly config: FleetConfig;
  readonly clock: Clock;
  readonly apiTokens: readonly ApiTokenEntry[];
}

export async function registerFleetReadRoutes(app: FastifyInstance, o: FleetReadRoutesOptions): Promise<void> {
  await app.register(async (scope) => {
    scope.addHook('preHandler', bearerAuth(o.apiTokens));

    scope.get('/v1/fleet', async () => {
      const now = o.clock.now();
      return { now, offlineAfterMs: o.config.offlineAfterMs, gateways: await fleetRows({ records: o.records, fleet: o.fleet }, now, o.config.offlineAfterMs) };
    });

    scope.get<{ Params: { gateway: string } }>('/v1/fleet/:gateway', async (request, reply) => {
      const { gateway } = request.params;
      const query = parseQuery(historyQuerySchema, request.query);
      const known = GATEWAY_ID_PATTERN.test(gateway) ? await o.records.getGateway(gateway) : undefined;
      if (known === undefined) return reply.code(404).send({ error: 'not_found', message: `no gateway ${gateway}` } satisfies ApiErrorBody);
      const now = o.clock.now();
      const polled = await o.fleet.getFleetGateway(gateway);
      const history = await o.fleet.history(gateway, query.since ?? now - o.config.historyMs, query.limit);
      return { now, ...fleetRow(gateway, polled, now, o.config.offlineAfterMs), polls: polled?.polls ?? 0, health: polled?.health ?? null, history };
    });
  });
}
