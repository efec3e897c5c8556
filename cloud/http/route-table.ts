/**
 * The relay's API routes and what each reads or acts on (issue 15), in one place: the organization
 * tests (test/integration/org-scope.test.ts) and the route × role × organization matrix generate
 * their requests from it, and fail when the server registers a route this table does not list, so a
 * new route cannot escape them.
 *
 * `scope` says who sees what the route returns:
 * - `org`: filtered by the principal's organization (a list), or 404 for a target of another one;
 * - `relay`: relay-wide facts every authenticated principal sees, which name no organization's
 *   gateway, record or obra (anchor batches: one root over every organization's records);
 * - `owner`: the platform owner's only (404, or 403 by its permission, for an organization's principal);
 * - `self`: the principal's own session;
 * - `public`: no credentials (health, the dashboard's static files, the signed ack link, ingest).
 *
 * `target` says which id of the URL names an organization's resource (`:gateway`, or the `:id` of
 * `/v1/gateways/:id/…`): the tests fill it with one of another organization and expect 404.
 */
import type { FastifyInstance } from 'fastify';

export type RouteScope = 'org' | 'relay' | 'owner' | 'self' | 'public';
export type RouteTarget = 'none' | 'gateway' | 'obra' | 'obra-slot' | 'alert' | 'batch' | 'record';

export interface RouteEntry {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Fastify's pattern, e.g. `/v1/proofs/:gateway/:seq`. */
  readonly url: string;
  readonly scope: RouteScope;
  readonly target: RouteTarget;
  /** A query string the route needs to answer 200 (volumes want a range). */
  readonly query?: string;
}

const RANGE = 'from=2025-01-01T00:00:00Z&to=2025-02-01T00:00:00Z';

export const ROUTE_TABLE: readonly RouteEntry[] = [
  { method: 'GET', url: '/healthz', scope: 'public', target: 'none' },
  { method: 'GET', url: '/v1/gateways', scope: 'org', target: 'none' },
  { method: 'GET', url: '/v1/readings', scope: 'org', target: 'none' },
  { method: 'GET', url: '/v1/readings', scope: 'org', target: 'gateway', query: 'gateway=:gateway' },
  { method: 'GET', url: '/v1/integrity-alarms', scope: 'org', target: 'none' },
  { method: 'GET', url: '/v1/dga', scope: 'org', target: 'none' },
  { method: 'GET', url: '/v1/dga/review', scope: 'org', target: 'none' },
  { method: 'GET', url: '/v1/dga/review', scope: 'org', target: 'obra', query: 'obra=:obra' },
  { method: 'GET', url: '/v1/dga/:obra', scope: 'org', target: 'obra' },
  { method: 'GET', url: '/v1/dga/:obra/volumes', scope: 'org', target: 'obra', query: RANGE },
  { method: 'GET', url: '/v1/dga/:obra/volumes.csv', scope: 'org', target: 'obra', query: RANGE },
  { method: 'GET', url: '/v1/dga/:obra/exceedances', scope: 'org', target: 'obra', query: RANGE },
  { method: 'GET', url: '/v1/dga/:obra/evidence.zip', scope: 'org', target: 'obra', query: RANGE },
  { method: 'POST', url: '/v1/dga/:obra/:slot/:action', scope: 'org', target: 'obra-slot' },
  { method: 'GET', url: '/v1/proofs/:gateway/:seq', scope: 'org', target: 'record' },
  { method: 'GET', url: '/v1/anchors', scope: 'relay', target: 'none' },
  { method: 'GET', url: '/v1/anchors/errors', scope: 'owner', target: 'none' },
  { method: 'GET', url: '/v1/anchors/:id', scope: 'relay', target: 'batch' },
  { method: 'GET', url: '/v1/alerts', scope: 'org', target: 'none' },
  { method: 'GET', url: '/v1/alerts/:id', scope: 'org', target: 'alert' },
  { method: 'POST', url: '/v1/alerts/:id/ack', scope: 'org', target: 'alert' },
  { method: 'GET', url: '/v1/alerts/ack', scope: 'public', target: 'none' },
  { method: 'POST', url: '/v1/alerts/ack', scope: 'public', target: 'none' },
  { method: 'POST', url: '/v1/ingest', scope: 'public', target: 'none' },
  { method: 'POST', url: '/v1/fleet/poll', scope: 'public', target: 'none' },
  { method: 'POST', url: '/v1/sources/:id/tts', scope: 'public', target: 'none' },
  { method: 'GET', url: '/v1/releases/:version/tarball', scope: 'public', target: 'none' },
  { method: 'GET', url: '/v1/fleet', scope: 'org', target: 'none' },
  { method: 'GET', url: '/v1/fleet/:gateway', scope: 'org', target: 'gateway' },
  { method: 'PUT', url: '/v1/gateways/:id/config', scope: 'org', target: 'gateway' },
  { method: 'GET', url: '/v1/gateways/:id/config', scope: 'org', target: 'gateway' },
  { method: 'GET', url: '/v1/gateways/:id/config/history', scope: 'org', target: 'gateway' },
  { method: 'POST', url: '/v1/gateways/:id/commands', scope: 'org', target: 'gateway' },
  { method: 'GET', url: '/v1/gateways/:id/commands', scope: 'org', target: 'gateway' },
  { method: 'GET', url: '/v1/sources', scope: 'org', target: 'none' },
  { method: 'GET', url: '/v1/releases', scope: 'owner', target: 'none' },
  { method: 'POST', url: '/v1/releases/:version/rollout', scope: 'owner', target: 'none' },
  { method: 'GET', url: '/metrics', scope: 'owner', target: 'none' },
  { method: 'GET', url: '/v1/audit', scope: 'org', target: 'none' },
  { method: 'POST', url: '/v1/session', scope: 'public', target: 'none' },
  { method: 'GET', url: '/v1/session', scope: 'self', target: 'none' },
  { method: 'DELETE', url: '/v1/session', scope: 'self', target: 'none' },
  { method: 'GET', url: '/', scope: 'public', target: 'none' },
  { method: 'GET', url: '/dashboard', scope: 'public', target: 'none' },
  { method: 'GET', url: '/dashboard/', scope: 'public', target: 'none' },
  { method: 'GET', url: '/dashboard/assets/:name', scope: 'public', target: 'none' },
  { method: 'GET', url: '/dashboard/assets/locales/:name', scope: 'public', target: 'none' },
];

/** The table's entries of one registered route (a route may have several: with and without a target filter). */
export function entriesOf(method: string, url: string): RouteEntry[] {
  return ROUTE_TABLE.filter((e) => e.method === method && e.url === url);
}

/**
 * Records every route the app registers from now on (Fastify's onRoute hook), HEAD excepted: call
 * it before the routes are registered, read the list once the app is ready.
 */
export function recordRoutes(app: FastifyInstance): Array<{ readonly method: string; readonly url: string }> {
  const seen: Array<{ method: string; url: string }> = [];
  app.addHook('onRoute', (route) => {
    for (const method of Array.isArray(route.method) ? route.method : [route.method]) if (method !== 'HEAD') seen.push({ method, url: route.url });
  });
  return seen;
}
