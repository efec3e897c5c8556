// The relay's APIs, either with a pasted token (RFC 6750 bearer) or with the session cookie of a
// user's sign-in (login.js). The token lives in sessionStorage: it survives a reload of this tab,
// not the tab itself. The session cookie is HttpOnly and SameSite=Strict; every write made with it
// carries the session's CSRF token (x-csrf-token), which the relay checks with the origin.

import { t } from './i18n.js';

const TOKEN_KEY = 'atalaya.relay.token';

/** A non-2xx answer; `body` is the relay's `{error, message}` when it sent JSON. */
export class HttpError extends Error {
  constructor(status, body) {
    super(body !== null && typeof body === 'object' && typeof body.message === 'string' ? body.message : `HTTP ${status}`);
    this.name = 'HttpError';
    this.status = status;
    this.body = body;
  }
}

let unauthorized = () => {};
// Relay clock − browser clock (from the Date header), so ages are measured on the clock that
// stamped lastSeenAt; whole seconds only, which is all an age needs.
let skewMs = 0;

export function onUnauthorized(handler) {
  unauthorized = handler;
}

let csrf = null;
/** The session's CSRF token (from POST or GET /v1/session), or null. */
export const setCsrf = (token) => {
  csrf = token;
};

export const getToken = () => sessionStorage.getItem(TOKEN_KEY);
export const setToken = (token) => sessionStorage.setItem(TOKEN_KEY, token);
export const clearToken = () => sessionStorage.removeItem(TOKEN_KEY);
/** What the relay accepts in `Authorization: Bearer` (cloud/http/auth.ts). */
export const validToken = (token) => /^[\x21-\x7e]{1,512}$/.test(token);
export const relayNow = () => Date.now() + skewMs;

/** `path` is relative to the relay root (`v1/gateways`): the page may sit behind a path prefix. */
export function apiUrl(path, params = {}) {
  const url = new URL(`../${path}`, document.baseURI);
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') url.searchParams.set(key, String(value));
  }
  return url;
}

/** The Response of a successful GET; throws HttpError otherwise (a 401 also signs out). */
export async function request(path, params, init = {}) {
  const token = getToken();
  const method = init.method ?? 'GET';
  const headers = { accept: 'application/json', ...init.headers };
  if (token !== null) headers.authorization = `Bearer ${token}`;
  else if (method !== 'GET' && csrf !== null) headers['x-csrf-token'] = csrf;
  const res = await fetch(apiUrl(path, params), {
    ...init,
    headers,
    cache: 'no-store',
    // The cookie only when no token is used: a token must not be mixed with a session.
    credentials: token === null ? 'same-origin' : 'omit',
  });
  const date = Date.parse(res.headers.get('date') ?? '');
  if (!Number.isNaN(date)) skewMs = date - Date.now();
  if (!res.ok) {
    const body = await res.json().catch(() => null);
    const err = new HttpError(res.status, body);
    if (res.status === 401) {
      clearToken();
      csrf = null;
      unauthorized(err);
    }
    throw err;
  }
  return res;
}

export async function api(path, params) {
  return (await request(path, params)).json();
}

/** POST `body` as JSON (the DGA review actions); the answer's JSON, or HttpError as for GET. */
export async function post(path, body) {
  return (await request(path, undefined, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } })).json();
}

/** true when the route exists (DGA and anchoring answer 404 when the relay has them disabled). */
export async function available(path, params) {
  try {
    await request(path, params);
    return true;
  } catch (err) {
    if (err instanceof HttpError && (err.status === 404 || err.status === 403)) return false;
    if (err instanceof HttpError && err.status === 401) throw err;
    // Any other failure: show the tab, which will show the error.
    return true;
  }
}

/** One line for a status element. */
export function describeError(err) {
  if (err instanceof HttpError) {
    const code = err.body !== null && typeof err.body === 'object' && typeof err.body.error === 'string' ? ` ${err.body.error}` : '';
    return t('error.answered', { status: err.status, code, message: err.message });
  }
  return t('error.unreachable', { message: err instanceof Error ? err.message : String(err) });
}
