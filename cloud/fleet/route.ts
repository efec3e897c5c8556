/**
 * POST /v1/fleet/poll: the body is the gzip poll of protocols/fleet/codec.ts, taken raw so the
 * HMAC covers exactly the bytes sent (application/octet-stream only, cut off past
 * fleet.maxPollBytes while it streams in). Refusals are ingest's (IngestRefused: 401 for a bad
 * signature, a stale timestamp or a replayed nonce; 400; 413), answered unsigned and logged as a
 * summary per ingest.refusalLogIntervalMs (cloud/http/refusal-log.ts). The 200 answer carries the
 * relay's signature headers (protocols/sync/response-signature.ts).
 */
import type { FastifyInstance } from 'fastify';
import { FLEET_POLL_PATH } from '../../protocols/fleet/types.ts';
import { RESPONSE_SIGNATURE_HEADERS } from '../../protocols/sync/response-signature.ts';
import { RefusalLog } from '../http/refusal-log.ts';
import { IngestRefused } from '../ingest/errors.ts';
import type { FleetService } from './service.ts';

/** Refusals of requests that did not prove a gateway's identity now: no gateway named. */
const ANONYMOUS: ReadonlySet<string> = new Set(['unauthenticated', 'stale', 'replayed']);

export async function registerFleetPollRoute(app: FastifyInstance, fleet: FleetService, refusalLogIntervalMs: number): Promise<void> {
  const logger = app.log.child({ component: 'fleet' });
  const refusals = new RefusalLog(logger, refusalLogIntervalMs, 'fleet poll refusals');
  app.addHook('onClose', async () => refusals.flush());
  const limit = fleet.config.maxPollBytes;
  await app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('application/octet-stream', { parseAs: 'buffer', bodyLimit: limit }, (_request, body, done) => done(null, body));
    scope.post(FLEET_POLL_PATH, { bodyLimit: limit }, async (request, reply) => {
      const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      const answer = await fleet.handle(request.headers, body);
      return reply
        .code(answer.status)
        .header('content-type', 'application/json')
        .header(RESPONSE_SIGNATURE_HEADERS.timestamp, String(answer.timestamp))
        .header(RESPONSE_SIGNATURE_HEADERS.signature, answer.signature)
        .send(answer.body);
    });
    scope.addHook('onError', async (request, _reply, err) => {
      if (!(err instanceof IngestRefused)) return; // server.ts logs 5xx
      const gateway = ANONYMOUS.has(err.refusal) ? undefined : (err.details?.['gateway'] as string | undefined);
      refusals.note(err.refusal, request.ip, gateway);
    });
  });
}
