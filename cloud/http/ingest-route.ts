import type { FastifyInstance } from 'fastify';
import { INGEST_PATH, type IngestAck } from '../../protocols/sync/types.ts';
import type { Ingestor } from '../ingest/ingest.ts';
import { INGEST_ACCEPTED, ingestOutcome, type IngestObserver } from '../metrics/ingest.ts';

/**
 * POST /v1/ingest: the body is the gzip batch of protocols/sync/batch.ts, taken raw (a Buffer) so
 * the HMAC covers exactly the bytes sent. In its own scope, only application/octet-stream is
 * accepted (anything else: 415 malformed), and a body over `maxBodyBytes` is cut off while it
 * streams in (413 too_large) before any authentication work. `observe` is told every outcome,
 * those refused by Fastify before the handler included (its onError hook sees them too).
 */
export async function registerIngestRoute(app: FastifyInstance, ingestor: Ingestor, maxBodyBytes: number, observe?: IngestObserver): Promise<void> {
  await app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('application/octet-stream', { parseAs: 'buffer', bodyLimit: maxBodyBytes }, (_request, body, done) => done(null, body));
    scope.post(INGEST_PATH, { bodyLimit: maxBodyBytes }, async (request): Promise<IngestAck> => {
      const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      const ack = await ingestor.handle(request.headers, body);
      observe?.(INGEST_ACCEPTED, ack.stored);
      return ack;
    });
    if (observe !== undefined) scope.addHook('onError', async (_request, _reply, err) => observe(ingestOutcome(err), 0));
  });
}
