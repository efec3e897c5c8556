import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { cookieSafe, loginCookie, logoutCookie } from './auth.ts';
import type { StatusContext } from './context.ts';
import { badRequest, unauthenticated } from './errors.ts';
import { parseOr400 } from './validate.ts';

const loginBody = z.strictObject({ token: z.string().min(1).max(512) });

/** Login sets the token as an HttpOnly cookie (scripts on the page never see it); logout clears it. */
export function registerSessionRoutes(app: FastifyInstance, ctx: StatusContext): void {
  app.post('/api/login', { config: { public: true } }, async (request, reply) => {
    const { token } = parseOr400(loginBody, request.body, 'body');
    if (!ctx.tokens.accepts(token)) throw unauthenticated('unknown status token');
    if (!cookieSafe(token)) throw badRequest('this token has characters a cookie cannot carry: send it as Authorization: Bearer');
    request.log.info('status page login');
    return reply.code(204).header('set-cookie', loginCookie(token)).send();
  });

  // Public: a browser holding a revoked token must still be able to drop it.
  app.post('/api/logout', { config: { public: true } }, async (_request, reply) => {
    return reply.code(204).header('set-cookie', logoutCookie()).send();
  });
}
