/**
 * Authentication and permissions of every relay route (issue 15): one guard per route, run as its
 * onRequest hook (before the body is read or validated, so an anonymous request costs no parsing):
 * it resolves the request's Principal (a config token, a user's API token, or a dashboard session
 * cookie plus, for writes, the CSRF checks of cloud/identity/csrf.ts) and requires the route's
 * permission from cloud/identity/permissions.ts. Every route the relay serves either has a guard
 * or is listed in PUBLIC_ROUTES; start fails otherwise (routeCheck).
 */
import type { FastifyInstance, FastifyRequest, onRequestHookHandler } from 'fastify';
import { AtalayaError } from '../../protocols/errors.ts';
import { sessionCookie } from '../identity/cookies.ts';
import { checkCsrf, isSafeMethod } from '../identity/csrf.ts';
import { IDENTITY_FORBIDDEN, IDENTITY_UNAUTHENTICATED, identityError } from '../identity/errors.ts';
import { can, type Permission } from '../identity/permissions.ts';
import type { Principal } from '../identity/principal.ts';
import type { IdentityService } from '../identity/service.ts';
import { hashApiToken } from '../identity/tokens.ts';
import { ROUTE_UNGUARDED } from './errors.ts';

export { hashApiToken, newApiToken } from '../identity/tokens.ts';

/** An accepted config token as the config lists it: its sha256, or a named one. */
export type ApiTokenEntry = string | { readonly name: string; readonly sha256: string };

/** Who holds a config token: its name, or `token-<first 8 hex of its hash>` for an unnamed one. */
export function tokenName(entry: ApiTokenEntry): string {
  return typeof entry === 'string' ? `token-${entry.slice(0, 8)}` : entry.name;
}

/** sha256 → name of the config's tokens (operator tokens: the platform owner). */
export function operatorTokens(entries: readonly ApiTokenEntry[]): Map<string, string> {
  return new Map(entries.map((e) => [typeof e === 'string' ? e : e.sha256, tokenName(e)]));
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route's permission (null: any signed-in principal); set by Guard.route only. */
    permission?: Permission | null;
  }
}

/** Routes that answer without credentials: their own credential (ingest's signature, an ack link's token, a password) or none needed. */
export const PUBLIC_ROUTES: ReadonlySet<string> = new Set([
  'GET /',
  'GET /healthz',
  'GET /dashboard',
  'GET /dashboard/',
  'GET /dashboard/assets/:name',
  'GET /dashboard/assets/locales/:name',
  'POST /v1/ingest',
  'POST /v1/fleet/poll',
  'GET /v1/releases/:version/tarball',
  'POST /v1/sources/:id/tts',
  'GET /v1/alerts/ack',
  'POST /v1/alerts/ack',
  'POST /v1/session',
]);

/** What a route requires: a permission, or only to be signed in (`GET|DELETE /v1/session`). */
export interface RouteRequirement {
  readonly permission: Permission | null;
}

export interface GuardedRoute extends RouteRequirement {
  readonly method: string;
  readonly url: string;
}

function bearer(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (header === undefined) return undefined;
  const m = /^Bearer ([\x21-\x7e]{1,512})$/i.exec(header);
  if (m === null) throw identityError(IDENTITY_UNAUTHENTICATED, 'Authorization: Bearer <token> expected');
  return m[1];
}

export class Guard {
  private readonly routes: GuardedRoute[] = [];

  constructor(private readonly identity: IdentityService) {}

  /** Who the request is; 401 without valid credentials, 403 (csrf) on a cookie-borne write that fails the CSRF checks. */
  async principal(request: FastifyRequest): Promise<Principal> {
    const token = bearer(request);
    if (token !== undefined) return this.identity.bearer(hashApiToken(token));
    const session = sessionCookie(request.headers.cookie);
    if (session === undefined) throw identityError(IDENTITY_UNAUTHENTICATED, 'sign in, or send a token: Authorization: Bearer <token>');
    const principal = await this.identity.session(session);
    if (!isSafeMethod(request.method)) checkCsrf(request, session);
    return principal;
  }

  /** Route options: the route requires `permission` (null: any signed-in principal). */
  route(permission: Permission | null): { config: RouteRequirement; onRequest: onRequestHookHandler } {
    const onRequest: onRequestHookHandler = async (request) => {
      const principal = await this.principal(request);
      request.principal = principal;
      if (permission !== null && !can(principal.role, permission)) throw identityError(IDENTITY_FORBIDDEN, `${principal.role} may not ${permission}`);
    };
    return { config: { permission }, onRequest };
  }

  /** Records every route and refuses, at ready, any route that is neither guarded nor public. */
  attach(app: FastifyInstance): void {
    const unguarded: string[] = [];
    app.addHook('onRoute', (route) => {
      const methods = Array.isArray(route.method) ? route.method : [route.method];
      const config = route.config as Partial<RouteRequirement> | undefined;
      for (const method of methods) {
        if (method === 'HEAD') continue;
        const key = `${method} ${route.url}`;
        if (config?.permission !== undefined) this.routes.push({ method, url: route.url ?? '', permission: config.permission });
        else if (!PUBLIC_ROUTES.has(key)) unguarded.push(key);
      }
    });
    app.addHook('onReady', async () => {
      if (unguarded.length > 0)
        throw new AtalayaError(ROUTE_UNGUARDED, `routes without a permission: ${unguarded.join(', ')}`, { details: { routes: unguarded } });
    });
  }

  /** Every guarded route and what it requires: for GET /v1/session and the role matrix test. */
  get guarded(): readonly GuardedRoute[] {
    return this.routes;
  }
}
