import type { FastifyInstance } from 'fastify';
import { INGEST_PATH, type IngestAck } from '../../protocols/sync/types.ts';
import { IngestRefused } from '../ingest/errors.ts';
import type { Ingestor } from '../ingest/ingest.ts';
import { INGEST_ACCEPTED, type IngestObserver, ingestOutcome } from '../metrics/ingest.ts';
import { RefusalLog } from './refusal-log.ts';

/** Refusals of an authenticated gateway that are rare and need a person: logged each, at warn. */
const LOGGED_EACH: ReadonlySet<string> = new Set(['conflict', 'forbidden']);
/** Refusals of requests that did not prove a gateway's identity, or may be a third party's replay: no gateway named. */
const ANONYMOUS: ReadonlySet<string> = new Set(['unauthenticated', 'stale', 'replayed']);

/**
 * POST /v1/ingest: the body is the gzip batch of protocols/sync/batch.ts, taken raw (a Buffer) so
 * the HMAC covers exactly the bytes sent. In its own scope, only application/octet-stream is
 * accepted (anything else: 415 malformed), and a body over `maxBodyBytes` is cut off while it
 * streams in (413 too_large) before any authentication work. `observe` is told every outcome,
 * those refused by Fastify before the handler included (its onError hook sees them too).
 * Refusals are logged as a summary per `ingestor.limits.refusalLogIntervalMs` (refusal-log.ts),
 * except conflicts and forbidden writes, logged each; server.ts does not log ingest refusals.
 */
export async function registerIngestRoute(app: FastifyInstance, ingestor: Ingestor, maxBodyBytes: number, observe?: IngestObserver): Promise<void> {
  const logger = app.log.child({ component: 'ingest' });
  const refusals = new RefusalLog(logger, ingestor.limits.refusalLogIntervalMs);
  app.addHook('onClose', async () => refusals.flush());
  await app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('application/octet-stream', { parseAs: 'buffer', bodyLimit: maxBodyBytes }, (_request, body, done) => done(null, body));
    scope.post(INGEST_PATH, { bodyLimit: maxBodyBytes }, async (request): Promise<IngestAck> => {
      const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      const ack = await ingestor.handle(request.headers, body);
      observe?.(INGEST_ACCEPTED, ack.stored);
      return ack;
    });
    scope.addHook('onError', async (request, _reply, err) => {
      const outcome = ingestOutcome(err);
      observe?.(outcome, 0);
      if (outcome === 'unavailable' || outcome === 'internal') return; // server.ts logs 5xx
      const gateway = err instanceof IngestRefused && !ANONYMOUS.has(err.refusal) ? (err.details?.['gateway'] as string | undefined) : undefined;
      if (err instanceof IngestRefused && LOGGED_EACH.has(err.refusal)) {
        logger.warn({ ip: request.ip, gateway, error: err.refusal, code: err.code, seqs: err.seqs }, 'ingest refused');
      } else {
        refusals.note(outcome, request.ip, gateway);
      }
    });
  });
}
