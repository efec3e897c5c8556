/**
 * The sources' HTTP routes: `POST /v1/sources/<id>/tts` (The Things Stack's webhook; its own
 * header secret, no operator token) and `GET /v1/sources` (`sources.read`), the Sources tab's API:
 * an organization's principal sees its organization's provisioned sources only; a source only
 * configured (not provisioned) belongs to no organization yet, so the owner alone sees it.
 */
import type { FastifyInstance } from 'fastify';
import { isAtalayaError } from '../../protocols/errors.ts';
import type { Guard } from '../http/auth.ts';
import { orgScope } from '../http/org-scope.ts';
import { STORE_CLOSED, STORE_UNAVAILABLE } from '../store/errors.ts';
import type { SourceMetrics } from './metrics.ts';
import type { ProviderService } from './service.ts';

/** Largest webhook body, bytes: a TTS uplink with metadata from many gateways is a few KiB. */
const WEBHOOK_BODY_LIMIT = 256 * 1024;

export interface SourceRoutesOptions {
  readonly service: ProviderService;
  /** Authentication and the permission of each route (cloud/http/auth.ts). */
  readonly guard: Guard;
  readonly metrics: SourceMetrics;
  /** Header of each TTS source's secret (lower case), by source id. */
  readonly headers: ReadonlyMap<string, string>;
}

export async function registerSourceRoutes(app: FastifyInstance, o: SourceRoutesOptions): Promise<void> {
  await app.register(async (scope) => {
    // The body as text: a body that is not JSON is the source's problem to count, not Fastify's 400.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'string', bodyLimit: WEBHOOK_BODY_LIMIT }, (_req, body, done) => done(null, body));
    scope.post<{ Params: { id: string } }>('/v1/sources/:id/tts', async (request, reply) => {
      const { id } = request.params;
      const header = o.headers.get(id);
      const value = header === undefined ? undefined : request.headers[header];
      try {
        const answer = await o.service.webhook(id, typeof value === 'string' ? value : undefined, typeof request.body === 'string' ? request.body : '');
        return reply.code(answer.status).send(answer.body);
      } catch (err) {
        if (!isAtalayaError(err, STORE_UNAVAILABLE) && !isAtalayaError(err, STORE_CLOSED)) throw err;
        o.metrics.outcome(id, 'unavailable');
        request.log.warn({ source: id, code: err.code }, 'webhook not stored: store unavailable');
        return reply.code(503).header('retry-after', '5').send({ error: 'unavailable', message: 'storage unavailable, retry later' });
      }
    });
  });
  await app.register(async (scope) => {
    scope.get('/v1/sources', o.guard.route('sources.read'), async (request) => {
      const org = orgScope(request);
      const sources = await o.service.status();
      return { sources: org === undefined ? sources : sources.filter((s) => s.org === org) };
    });
  });
}
