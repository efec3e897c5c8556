/**
 * Dashboard sign-in (issue 15 §3):
 * - `POST /v1/session` `{ name, password }`: sets the session cookie (cloud/identity/cookies.ts)
 *   and answers who signed in, their permissions and the CSRF token every later write must send
 *   as `x-csrf-token`; 401 bad_credentials, 423 locked, 429 rate_limited (with Retry-After).
 *   Same-origin only (no signing a victim's browser into an attacker's account).
 * - `GET /v1/session`: who am I (the same body), for any principal, so the dashboard shows only
 *   the tabs and actions the role may use;
 * - `DELETE /v1/session`: signs out (a cookie-borne write: CSRF checked) and clears the cookie.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { SESSION_COOKIE, sessionCookie, sessionSetCookie } from '../identity/cookies.ts';
import { CSRF_HEADER, checkSameOrigin } from '../identity/csrf.ts';
import { type Permission, permissionsOf } from '../identity/permissions.ts';
import { type Principal, principalOf } from '../identity/principal.ts';
import { csrfTokenOf, type IdentityService } from '../identity/service.ts';
import type { Guard } from './auth.ts';
import { parseQuery } from './query.ts';

export interface SessionRoutesOptions {
  readonly identity: IdentityService;
  readonly guard: Guard;
}

const loginBody = z.strictObject({ name: z.string().min(1).max(64), password: z.string().min(1).max(1024) });

export interface SessionBody {
  readonly kind: Principal['kind'];
  readonly name: string;
  readonly orgId: string | null;
  readonly role: Principal['role'];
  readonly permissions: Permission[];
  /** Sessions only: the value of `x-csrf-token` on writes. */
  readonly csrfToken: string | null;
}

function body(principal: Principal, csrfToken: string | null): SessionBody {
  const { kind, name, orgId, role } = principal;
  return { kind, name, orgId, role, permissions: permissionsOf(role), csrfToken };
}

const secure = (request: FastifyRequest): boolean => request.protocol === 'https';

export async function registerSessionRoutes(app: FastifyInstance, options: SessionRoutesOptions): Promise<void> {
  const { identity, guard } = options;
  await app.register(async (scope) => {
    scope.post('/v1/session', async (request, reply: FastifyReply) => {
      checkSameOrigin(request);
      const { name, password } = parseQuery(loginBody, request.body ?? {});
      const signed = await identity.login(name, password, request.ip);
      void reply.header('set-cookie', sessionSetCookie(signed.sessionId, signed.maxAgeS, secure(request))).header('cache-control', 'no-store');
      return body(signed.principal, signed.csrfToken);
    });

    scope.get('/v1/session', guard.route(null), async (request, reply) => {
      const principal = principalOf(request);
      const session = principal.kind === 'session' ? sessionCookie(request.headers.cookie) : undefined;
      void reply.header('cache-control', 'no-store');
      return body(principal, session === undefined ? null : csrfTokenOf(session));
    });

    scope.delete('/v1/session', guard.route(null), async (request, reply) => {
      const session = sessionCookie(request.headers.cookie);
      if (session !== undefined) await identity.logout(session);
      return reply
        .header('set-cookie', sessionSetCookie('', 0, secure(request)))
        .code(204)
        .send();
    });
  });
}

export { CSRF_HEADER, SESSION_COOKIE };
