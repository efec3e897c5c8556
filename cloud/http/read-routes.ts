import type { FastifyInstance } from 'fastify';
import type { RelayStore } from '../store/types.ts';
import type { Guard } from './auth.ts';
import type { ApiErrorBody } from './errors.ts';
import { assertGatewayInOrg, orgScope } from './org-scope.ts';
import { limitQuerySchema, parseQuery, readingsQuery } from './query.ts';

export interface ReadRoutesOptions {
  readonly store: RelayStore;
  /** Authentication and the permission of each route (auth.ts). */
  readonly guard: Guard;
}

/**
 * Read APIs, every one behind the guard (a token or a session, and a permission: auth.ts). /healthz is the
 * exception: load balancers and orchestrators probe it without credentials, and it tells nothing
 * beyond "the store answers".
 */
export async function registerReadRoutes(app: FastifyInstance, options: ReadRoutesOptions): Promise<void> {
  const { store } = options;

  app.get('/healthz', async (_request, reply) => {
    try {
      // A primary-key lookup of an id that cannot exist: one cheap round trip to the database.
      await store.getGateway('');
      return { status: 'ok' };
    } catch (err) {
      reply.log.warn({ err }, 'health check: store unavailable');
      return reply.code(503).send({ error: 'unavailable', message: 'storage unavailable' } satisfies ApiErrorBody);
    }
  });

  const { guard } = options;
  await app.register(async (scope) => {
    const orgOfGateway = async (id: string) => (await store.getGateway(id))?.orgId;

    scope.get('/v1/gateways', guard.route('gateways.read'), async (request) => {
      const rows = await store.listGateways(orgScope(request));
      // Listed field by field: the secret's ciphertext never leaves the relay.
      return {
        gateways: rows.map((g) => ({
          id: g.id,
          createdAt: g.createdAt,
          lastSeenAt: g.lastSeenAt,
          highestSeq: g.highestSeq,
          clockOffsetMs: g.clockOffsetMs,
          records: g.records,
          org: g.orgId,
        })),
      };
    });

    scope.get('/v1/readings', guard.route('readings.read'), async (request) => {
      const query = readingsQuery(request.query);
      // Another organization's gateway answers 404, like an unknown one (issue 15).
      if (query.gateway !== undefined) await assertGatewayInOrg(request, orgOfGateway, query.gateway);
      const org = orgScope(request);
      return store.queryRecords(org === undefined ? query : { ...query, org });
    });

    scope.get('/v1/integrity-alarms', guard.route('alarms.read'), async (request) => {
      const { limit } = parseQuery(limitQuerySchema, request.query);
      return { alarms: await store.integrityAlarms(limit, orgScope(request)) };
    });
  });
}
