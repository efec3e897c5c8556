import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest, LogController } from 'fastify';
import type { Logger } from 'pino';
import type { Clock } from '../../protocols/clock.ts';
import { isAtalayaError } from '../../protocols/errors.ts';
import { INGEST_PATH, type IngestError } from '../../protocols/sync/types.ts';
import type { RelayConfig } from '../config/schema.ts';
import { IdentityError } from '../identity/errors.ts';
import { BUSY_RETRY_AFTER_S, IngestRefused, isIngestBusy } from '../ingest/errors.ts';
import { STORE_CLOSED, STORE_INVALID_CURSOR, STORE_INVALID_QUERY, STORE_UNAVAILABLE } from '../store/errors.ts';
import { limitConnections } from './connection-limits.ts';
import { ApiError, type ApiErrorBody, invalidQuery } from './errors.ts';
import { RefusalLog } from './refusal-log.ts';
import { enforceRequestDeadline } from './request-deadline.ts';

/** Connection refusals (over a cap, too slow) are summarised at most this often, ms. */
const CONNECTION_LOG_INTERVAL_MS = 10_000;

export interface HttpServerOptions {
  readonly listen: RelayConfig['listen'];
  /** PEM contents, already read: HTTPS when given. */
  readonly tls?: { readonly cert: Buffer; readonly key: Buffer } | undefined;
  readonly logger: Logger;
  /** The relay's clock: its HTTP Date header, which gateways with a wrong clock sign by (agent/sync/skew.ts). */
  readonly clock: Clock;
}

const isIngest = (request: FastifyRequest): boolean => request.routeOptions.url === INGEST_PATH || request.url.split('?')[0] === INGEST_PATH;

/**
 * The error body of each failure. Ingest refusals are the contract's IngestError (the agent
 * branches on `error`); a 4xx that Fastify raises before the handler (body over the limit, wrong
 * content type) is mapped onto the same codes for the ingest path. 5xx bodies are not
 * IngestError: the agent retries any 5xx.
 */
function errorReply(err: FastifyError | Error, request: FastifyRequest): { status: number; body: IngestError | ApiErrorBody } {
  if (err instanceof IngestRefused) {
    return {
      status: err.status,
      body: err.seqs === undefined ? { error: err.refusal, message: err.message } : { error: err.refusal, message: err.message, seqs: err.seqs },
    };
  }
  if (err instanceof ApiError) return { status: err.status, body: err.body };
  if (err instanceof IdentityError) return { status: err.status, body: { error: err.error as ApiErrorBody['error'], message: err.message } };
  if (isAtalayaError(err, STORE_INVALID_CURSOR) || isAtalayaError(err, STORE_INVALID_QUERY)) {
    const e = invalidQuery([{ path: isAtalayaError(err, STORE_INVALID_CURSOR) ? 'cursor' : '(query)', message: err.message }]);
    return { status: e.status, body: e.body };
  }
  if (isIngestBusy(err)) return { status: 503, body: { error: 'unavailable', message: err.message } };
  if (isAtalayaError(err, STORE_UNAVAILABLE) || isAtalayaError(err, STORE_CLOSED)) {
    return { status: 503, body: { error: 'unavailable', message: 'storage unavailable; retry later' } };
  }
  const status = (err as FastifyError).statusCode;
  if (status !== undefined && status >= 400 && status < 500) {
    const code = (err as FastifyError).code;
    if (isIngest(request)) return { status, body: { error: code === 'FST_ERR_CTP_BODY_TOO_LARGE' ? 'too_large' : 'malformed', message: err.message } };
    return { status, body: { error: 'bad_request', message: err.message } };
  }
  return { status: 500, body: { error: 'internal', message: 'internal error' } };
}

/** A hop count as the function proxy-addr makes of it (Fastify's types omit the number form). */
function trustProxy(setting: RelayConfig['listen']['trustProxy']): boolean | string[] | ((address: string, hop: number) => boolean) {
  return typeof setting === 'number' ? (_address, hop) => hop < setting : setting;
}

/** Fastify with the relay's error replies; routes are added by the caller. */
export function buildHttpServer(options: HttpServerOptions): FastifyInstance {
  const logger = options.logger.child({ component: 'http' });
  const requestTimeout = options.listen.requestTimeoutMs;
  const nodeTimeouts = { requestTimeout, headersTimeout: requestTimeout, connectionsCheckingInterval: Math.min(1000, requestTimeout / 4) };
  const app = Fastify({
    loggerInstance: logger,
    // One log line per ingest (cloud/ingest) says more than Fastify's two per request.
    logController: new LogController({ disableRequestLogging: true }),
    trustProxy: trustProxy(options.listen.trustProxy),
    return503OnClosing: true,
    // A client that stops sending halfway (a cellular link dropping) must not hold a request, or
    // the relay's shutdown, open forever; idle keep-alive sockets are closed on stop. Node checks
    // these timeouts every connectionsCheckingInterval (30 s by default: a 120 s timeout fired
    // anywhere up to 150 s); request-deadline.ts covers the body, which Node's timeout does not.
    requestTimeout,
    // A connection that sends nothing at all is not a request yet, so neither timeout sees it; idle
    // this long, its socket is closed, or silent connections could hold every place of maxConnections.
    connectionTimeout: requestTimeout,
    ...(options.tls === undefined ? { http: nodeTimeouts } : { https: { cert: options.tls.cert, key: options.tls.key, ...nodeTimeouts } }),
    forceCloseConnections: 'idle',
  }) as unknown as FastifyInstance;

  // Connections over a cap and requests over the deadline: one summary line per interval, like ingest refusals.
  const refused = new RefusalLog(logger, CONNECTION_LOG_INTERVAL_MS, 'connections refused');
  app.addHook('onClose', async () => refused.flush());
  limitConnections(app.server, { ...options.listen, onRefused: (limit, address) => refused.note(limit, address) });
  app.server.on('drop', (data?: { remoteAddress?: string }) => refused.note('total', data?.remoteAddress ?? ''));
  enforceRequestDeadline(app, requestTimeout, (address) => refused.note('timeout', address));

  // Node stamps Date from the system clock; the relay's own (injected) clock is the one it checks
  // signatures against, so that is the one it announces.
  app.addHook('onSend', async (_request, reply) => {
    reply.header('date', new Date(options.clock.now()).toUTCString());
  });

  app.setErrorHandler((err: FastifyError | Error, request: FastifyRequest, reply: FastifyReply) => {
    const { status, body } = errorReply(err, request);
    const context = { method: request.method, url: request.url.split('?')[0], ip: request.ip, status, error: body.error };
    // Ingest refusals are logged by http/ingest-route.ts, as a summary: never a line per anonymous request.
    if (status >= 500 && !isIngestBusy(err)) request.log.error({ ...context, err }, 'request failed');
    else if (!isIngest(request)) request.log.debug(context, 'request refused');
    if (status === 401 && !isIngest(request)) void reply.header('www-authenticate', 'Bearer realm="atalaya"');
    if (isIngestBusy(err)) void reply.header('retry-after', String(BUSY_RETRY_AFTER_S));
    if (err instanceof IdentityError && err.retryAfterS !== undefined) void reply.header('retry-after', String(err.retryAfterS));
    void reply.code(status).send(body);
  });
  app.setNotFoundHandler((request, reply) => {
    void reply.code(404).send({ error: 'not_found', message: `no route ${request.method} ${request.url.split('?')[0]}` } satisfies ApiErrorBody);
  });
  return app;
}
