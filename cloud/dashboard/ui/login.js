// Sign-in with a user name and password (issue 15): POST /v1/session sets an HttpOnly session
// cookie this script never sees, and answers who signed in, their permissions and the CSRF
// token every write must send (api.js adds it). GET /v1/session says the same for a reload or a
// bearer token; DELETE /v1/session signs out. Its words are the catalogue's login.* and role.*.

import { apiUrl, clearToken, describeError, getToken, HttpError, request, setCsrf } from './api.js';
import { wire } from './dom.js';
import { fmtInt } from './format.js';
import { t } from './i18n.js';

// Not the session (its cookie is HttpOnly): only a note that this tab signed in, so a reload asks
// GET /v1/session instead of showing the form, and a first visit makes no request bound to fail.
const SIGNED_IN_KEY = 'atalaya.relay.signedIn';

/** True when this tab holds a token or signed in before (the session may still have ended). */
export const maybeSignedIn = () => getToken() !== null || sessionStorage.getItem(SIGNED_IN_KEY) !== null;

/** Forgets that this tab signed in (the relay answered 401). */
export const forgetSession = () => sessionStorage.removeItem(SIGNED_IN_KEY);

/** The relay's answer to a sign-in, as a sentence for the form. */
export function signInMessage(err) {
  if (!(err instanceof HttpError)) return t('login.signInRefused');
  if (err.status === 401) return t('login.badCredentials');
  const retry = Number(err.retryAfter ?? 0);
  if (err.status === 423) return t('login.locked', { minutes: fmtInt(Math.max(1, Math.ceil(retry / 60))) });
  if (err.status === 429) return t('login.rateLimited', { seconds: fmtInt(retry) });
  return describeError(err);
}

/** The signed-in principal as the header shows it: name (role, organization); name and organization are data. */
export function whoNodes(session) {
  const nodes = [wire(session.name), ` (${roleLabel(session.role)}`];
  if (session.orgId !== null) nodes.push(', ', wire(session.orgId));
  nodes.push(')');
  return nodes;
}

/** Roles are wire values (cloud/identity/principal.ts): shown by their label, an unknown one as it came. */
function roleLabel(role) {
  const labels = {
    owner: t('role.owner'),
    admin: t('role.admin'),
    compliance: t('role.compliance'),
    technician: t('role.technician'),
    viewer: t('role.viewer'),
  };
  return labels[role] ?? role;
}

/** Signs in; resolves with the session (name, orgId, role, permissions, csrfToken) or throws HttpError. */
export async function signIn(name, password) {
  const res = await fetch(apiUrl('v1/session'), {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ name, password }),
    credentials: 'same-origin',
    cache: 'no-store',
  });
  const body = await res.json().catch(() => null);
  if (!res.ok) {
    const err = new HttpError(res.status, body);
    err.retryAfter = res.headers.get('retry-after');
    throw err;
  }
  clearToken();
  setCsrf(body.csrfToken);
  sessionStorage.setItem(SIGNED_IN_KEY, '1');
  return body;
}

/** Who this tab is (a session cookie or a stored token); throws HttpError 401 when neither. */
export async function whoami() {
  const body = await (await request('v1/session')).json();
  setCsrf(body.csrfToken ?? null);
  return body;
}

/** Ends the session (or forgets the token). */
export async function signOut() {
  if (getToken() !== null) {
    clearToken();
    return;
  }
  try {
    await request('v1/session', undefined, { method: 'DELETE' });
  } finally {
    setCsrf(null);
    sessionStorage.removeItem(SIGNED_IN_KEY);
  }
}
