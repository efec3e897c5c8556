import type { FastifyInstance } from 'fastify';
import type { RelayStore } from '../store/types.ts';
import { type ApiTokenEntry, bearerAuth } from './auth.ts';
import type { ApiErrorBody } from './errors.ts';
import { assertGatewayInOrg, orgScope } from './org-scope.ts';
import { limitQuerySchema, parseQuery, readingsQuery } from './query.ts';

export interface ReadRoutesOptions {
  readonly store: RelayStore;
  /** sha256 (hex) of the accepted operator tokens; none: every read API answers 401. */
  readonly apiTokens: readonly ApiTokenEntry[];
}

/**
 * Operator read APIs, every one behind a bearer token (security by default). /healthz is the
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

  await app.register(async (scope) => {
    scope.addHook('preHandler', bearerAuth(options.apiTokens));

    const orgOfGateway = async (id: string) => (await store.getGateway(id))?.orgId;

    scope.get('/v1/gateways', async (request) => {
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

    scope.get('/v1/readings', async (request) => {
      const query = readingsQuery(request.query);
      // Another organization's gateway answers 404, like an unknown one (issue 15).
      if (query.gateway !== undefined) await assertGatewayInOrg(request, orgOfGateway, query.gateway);
      const org = orgScope(request);
      return store.queryRecords(org === undefined ? query : { ...query, org });
    });

    scope.get('/v1/integrity-alarms', async (request) => {
      const { limit } = parseQuery(limitQuerySchema, request.query);
      return { alarms: await store.integrityAlarms(limit, orgScope(request)) };
    });
  });
}
