// JSON calls to the agent. Auth rides on the HttpOnly cookie set by POST /api/login, so the page
// never holds the token after the login form is submitted.
import { t } from './i18n.js';

/** The API answered 401: the page shows the token form. */
export class Unauthenticated extends Error {
  constructor() {
    super('unauthenticated');
    this.name = 'Unauthenticated';
  }
}

/** Any other non-2xx answer; body is the parsed `{error, message, ...}` when there was one. */
export class ApiError extends Error {
  constructor(status, body) {
    super(body && typeof body.message === 'string' ? body.message : `HTTP ${status}`);
    this.name = 'ApiError';
    this.status = status;
    this.body = body ?? {};
  }
}

/**
 * GET (no body) or POST (with body, sent as JSON: the server refuses POSTs without
 * content-type application/json, its CSRF guard). Resolves to the parsed answer, null for 204.
 */
export async function api(path, body) {
  const init = { credentials: 'same-origin', headers: { accept: 'application/json' } };
  if (body !== undefined) {
    init.method = 'POST';
    init.headers['content-type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch {
    throw new ApiError(0, { error: 'network', message: t('network') });
  }
  if (res.status === 401) throw new Unauthenticated();
  if (res.status === 204) return null;
  let parsed = null;
  try {
    parsed = await res.json();
  } catch {
    parsed = null;
  }
  if (!res.ok) throw new ApiError(res.status, parsed);
  return parsed;
}
