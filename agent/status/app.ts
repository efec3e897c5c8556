import { createRequire } from 'node:module';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest, LogController } from 'fastify';
import type { Logger } from 'pino';
import { SECURITY_HEADERS, type StatusContext } from './context.ts';
import { badRequest, type StatusErrorBody, StatusHttpError, unsupportedMediaType } from './errors.ts';
import { registerActionRoutes } from './routes-actions.ts';
import { registerEventRoutes } from './routes-events.ts';
import { registerReadRoutes } from './routes-read.ts';
import { registerSessionRoutes } from './routes-session.ts';
import { registerStaticRoutes } from './routes-static.ts';

/** Largest request body, bytes: the APIs take a few short fields. */
const BODY_LIMIT = 16 * 1024;

/** Resolves packages as Fastify itself does (its own dependencies, whatever the install layout). */
const fastifyRequire = createRequire(createRequire(import.meta.url).resolve('fastify'));

/**
 * Fastify's schema compilers (Ajv and fast-json-stringify, with ajv-formats: several MiB of RSS,
 * issue 18) loaded only when a route declares a schema. The status routes declare none (bodies and
 * queries go through zod, validate.ts), so a gateway never loads them; a route that adds one still
 * gets Fastify's own compilers, built on first use.
 */
type CompilerBuilder = (...args: unknown[]) => unknown;

function lazyCompilers(): { buildValidator: CompilerBuilder; buildSerializer: CompilerBuilder } {
  let validator: CompilerBuilder | undefined;
  let serializer: CompilerBuilder | undefined;
  return {
    buildValidator: (...args) => {
      validator ??= (fastifyRequire('@fastify/ajv-compiler') as () => CompilerBuilder)();
      return validator(...args);
    },
    buildSerializer: (...args) => {
      serializer ??= (fastifyRequire('@fastify/fast-json-stringify-compiler') as () => CompilerBuilder)();
      return serializer(...args);
    },
  };
}

function errorReply(err: FastifyError | Error): { status: number; body: StatusErrorBody } {
  if (err instanceof StatusHttpError) return { status: err.status, body: err.body };
  const status = (err as FastifyError).statusCode;
  if (status === 415) return { status, body: { error: 'unsupported_media_type', message: err.message } };
  if (status !== undefined && status >= 400 && status < 500) return { status, body: { error: 'bad_request', message: err.message } };
  return { status: 500, body: { error: 'internal', message: 'internal error' } };
}

function isJson(request: FastifyRequest): boolean {
  const type = request.headers['content-type'];
  return type !== undefined && type.split(';')[0]!.trim().toLowerCase() === 'application/json';
}

/**
 * The status page's Fastify instance with its routes. Every route needs a token unless its config
 * says `public`, so a route added later is protected by default; a POST must declare JSON, which a
 * cross-site form cannot (with the SameSite=Strict cookie, the CSRF guard).
 */
export function buildStatusApp(ctx: StatusContext, logger: Logger): FastifyInstance {
  const app = Fastify({
    loggerInstance: logger,
    // Request lines would say little on a gateway and might carry a query a technician typed.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: BODY_LIMIT,
    return503OnClosing: true,
    forceCloseConnections: true,
    requestTimeout: 60_000,
    // Fastify types each factory by its compiler package's types; these only forward to them.
    schemaController: { compilersFactory: lazyCompilers() as never },
  }) as unknown as FastifyInstance;

  // An empty body (POST /api/logout from fetch without one) is accepted as no body.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.trim() === '') return done(null, undefined);
    try {
      done(null, JSON.parse(text));
    } catch {
      done(badRequest('the body is not valid JSON'), undefined);
    }
  });

  app.addHook('onRequest', async (request, reply) => {
    void reply.header('cache-control', 'no-store');
    if (!request.is404 && request.routeOptions.config.public !== true) ctx.tokens.check(request);
    if (request.method === 'POST' && !isJson(request)) throw unsupportedMediaType();
  });
  app.addHook('onSend', async (_request, reply) => {
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) void reply.header(name, value);
  });

  app.setErrorHandler((err: FastifyError | Error, request: FastifyRequest, reply: FastifyReply) => {
    const { status, body } = errorReply(err);
    const context = { method: request.method, url: request.routeOptions.url ?? '(none)', status, error: body.error };
    if (status >= 500) request.log.error({ ...context, err }, 'request failed');
    else request.log.debug(context, 'request refused');
    if (status === 401) void reply.header('www-authenticate', 'Bearer realm="atalaya-status"');
    void reply.code(status).send(body);
  });
  app.setNotFoundHandler((request, reply) => {
    void reply.code(404).send({ error: 'not_found', message: `no route ${request.method} ${request.url.split('?')[0]}` } satisfies StatusErrorBody);
  });

  registerStaticRoutes(app, ctx);
  registerSessionRoutes(app, ctx);
  registerReadRoutes(app, ctx);
  registerActionRoutes(app, ctx);
  registerEventRoutes(app, ctx);
  return app;
}
