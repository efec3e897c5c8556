/**
 * CSRF protection of cookie-authenticated writes (issue 15 §3), two checks that must both pass:
 * - the request comes from the dashboard's own origin: `Sec-Fetch-Site` (when the browser sends
 *   it) is same-origin, and `Origin` (when sent) is this relay's scheme://host;
 * - it carries `x-csrf-token`, the session's CSRF token (service.ts csrfTokenOf, derived from the
 *   session id, so a page of another site can neither read nor compute it). A cross-site form can
 *   set neither that header nor the origin.
 * Bearer-token requests are not cookie-borne and need neither.
 */
import { timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { IDENTITY_CSRF, identityError } from './errors.ts';
import { csrfTokenOf } from './service.ts';

export const CSRF_HEADER = 'x-csrf-token';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export const isSafeMethod = (method: string): boolean => SAFE_METHODS.has(method);

/** Refuses (403 csrf) a request from another origin. Applied to every cookie-borne write and to sign-in. */
export function checkSameOrigin(request: FastifyRequest): void {
  const site = request.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin')
    throw identityError(IDENTITY_CSRF, `cross-site request refused (Sec-Fetch-Site: ${String(site).slice(0, 32)})`);
  const origin = request.headers.origin;
  if (origin !== undefined && origin !== `${request.protocol}://${request.host}`) throw identityError(IDENTITY_CSRF, 'request from another origin refused');
}

/** Both checks, for a write authenticated by the session `sessionId`. */
export function checkCsrf(request: FastifyRequest, sessionId: string): void {
  checkSameOrigin(request);
  const given = request.headers[CSRF_HEADER];
  const expected = Buffer.from(csrfTokenOf(sessionId));
  const actual = Buffer.from(typeof given === 'string' ? given : '');
  if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) throw identityError(IDENTITY_CSRF, `missing or wrong ${CSRF_HEADER} header`);
}
