import type { FastifyInstance } from 'fastify';
import type { DgaEngine } from '../dga/engine.ts';
import { isRelayDgaError, DGA_UNKNOWN_OBRA } from '../dga/errors.ts';
import { registerReviewRoutes } from './dga-review-routes.ts';
import { bearerAuth, type ApiTokenEntry } from './auth.ts';
import type { ApiErrorBody } from './errors.ts';

export interface DgaRoutesOptions {
  readonly engine: DgaEngine;
  /** sha256 (hex) of the accepted operator tokens, as for the read APIs. */
  readonly apiTokens: readonly ApiTokenEntry[];
}

/**
 * DGA reporting status behind the operator tokens: `GET /v1/dga` (every obra: last accepted slot,
 * queued, late, refusals and missing slots with their reasons) and `GET /v1/dga/<obra>` (the same
 * for one obra, with its latest slots). The same information as `atalaya relay dga status`.
 */
export async function registerDgaRoutes(app: FastifyInstance, options: DgaRoutesOptions): Promise<void> {
  const { engine } = options;
  await app.register(async (scope) => {
    scope.addHook('preHandler', bearerAuth(options.apiTokens));

    scope.get('/v1/dga', async () => ({ obras: await engine.status() }));
    registerReviewRoutes(scope, engine, options.apiTokens);

    scope.get<{ Params: { obra: string } }>('/v1/dga/:obra', async (request, reply) => {
      try {
        return await engine.detail(request.params.obra);
      } catch (err) {
        if (!isRelayDgaError(err, DGA_UNKNOWN_OBRA)) throw err;
        return reply.code(404).send({ error: 'not_found', message: err.message } satisfies ApiErrorBody);
      }
    });
  });
}
