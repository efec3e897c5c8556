/**
 * GET /v1/fleet (one row per gateway: online/offline, last seen, version, config version, health
 * flags) and GET /v1/fleet/<gateway> (the row, the latest report, the history), behind the
 * guard (`fleet.read`) and scoped to the principal's organization (cloud/http/org-scope.ts):
 * the list holds its gateways only, another organization's gateway answers 404 like an unknown one.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Clock } from '../../protocols/clock.ts';
import type { Guard } from '../http/auth.ts';
import type { ApiErrorBody } from '../http/errors.ts';
import { inOrg, orgScope } from '../http/org-scope.ts';
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
  /** Authentication and the permission of each route (cloud/http/auth.ts). */
  readonly guard: Guard;
}

export async function registerFleetReadRoutes(app: FastifyInstance, o: FleetReadRoutesOptions): Promise<void> {
  await app.register(async (scope) => {
    scope.get('/v1/fleet', o.guard.route('fleet.read'), async (request) => {
      const now = o.clock.now();
      const rows = await fleetRows({ records: o.records, fleet: o.fleet }, now, o.config.offlineAfterMs);
      const org = orgScope(request);
      // An organization sees its provisioned gateways only (a poll from an unknown id belongs to nobody).
      const mine = org === undefined ? undefined : new Set((await o.records.listGateways(org)).map((g) => g.id));
      return { now, offlineAfterMs: o.config.offlineAfterMs, gateways: mine === undefined ? rows : rows.filter((r) => mine.has(r.id)) };
    });

    scope.get<{ Params: { gateway: string } }>('/v1/fleet/:gateway', o.guard.route('fleet.read'), async (request, reply) => {
      const { gateway } = request.params;
      const query = parseQuery(historyQuerySchema, request.query);
      const known = GATEWAY_ID_PATTERN.test(gateway) ? await o.records.getGateway(gateway) : undefined;
      if (known === undefined || !inOrg(request.principal, known.orgId))
        return reply.code(404).send({ error: 'not_found', message: `no gateway ${gateway}` } satisfies ApiErrorBody);
      const now = o.clock.now();
      const polled = await o.fleet.getFleetGateway(gateway);
      const history = await o.fleet.history(gateway, query.since ?? now - o.config.historyMs, query.limit);
      return { now, ...fleetRow(gateway, polled, now, o.config.offlineAfterMs), polls: polled?.polls ?? 0, health: polled?.health ?? null, history };
    });
  });
}
