/**
 * Issue 15 proof, sign-in side: the session cookie's attributes; GET /v1/session says who and what
 * they may do; a cross-site form POST to every cookie-authenticated write route is refused (CSRF),
 * as is a same-site one without the CSRF token; lockout after wrong passwords (423) and the
 * per-address limit (429); a disabled user's session and tokens stop at once, a revoked token too;
 * writes are audited and GET /v1/audit shows an admin its organization's entries. SQLite and PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IDENTITY_FORBIDDEN, IDENTITY_NOT_FOUND } from '../../cloud/identity/errors.ts';
import { startPostgres, type TestPostgres } from '../helpers/postgres.ts';
import { concrete, type IdentityRelay, OWNER, startIdentityRelay } from './identity-setup.ts';

let pg: TestPostgres | undefined;
afterAll(async () => {
  await pg?.stop();
});

describe.each(['sqlite', 'postgres'] as const)('sign-in, sessions, CSRF (%s)', (kind) => {
  let r: IdentityRelay;

  beforeAll(async () => {
    if (kind === 'postgres') pg ??= await startPostgres();
    // A small per-address limit, reached by the last test only.
    r = await startIdentityRelay(kind === 'sqlite' ? { kind } : { kind, pg: () => pg! }, { maxFailures: 3, lockoutS: 600, ipAttempts: 25 });
    await r.user('ana', 'admin');
    await r.user('tito', 'technician');
    await r.user('vera', 'viewer');
    await r.user('root', 'owner');
  }, 60_000);
  afterAll(async () => {
    await r?.stop();
  });

  const get = (path: string, headers: Record<string, string>) => fetch(`${r.url}${path}`, { headers });

  it('sets an HttpOnly SameSite=Strict cookie and says who signed in and what they may do', async () => {
    const res = await fetch(`${r.url}/v1/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: r.url },
      body: JSON.stringify({ name: 'tito', password: 'correct horse battery' }),
    });
    expect(res.status).toBe(200);
    const cookie = res.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/^atalaya_session=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=\d+$/);
    const body = (await res.json()) as { csrfToken: string };
    expect(body).toMatchObject({ kind: 'session', name: 'tito', orgId: 'default', role: 'technician', permissions: expect.arrayContaining(['alerts.ack']) });
    const who = (await (await get('/v1/session', { cookie: cookie.split(';')[0]! })).json()) as { permissions: string[] };
    expect(who).toMatchObject({ name: 'tito', role: 'technician', csrfToken: body.csrfToken });
    expect(who.permissions).not.toContain('dga.review');
  });

  it('refuses a cross-site form POST to every cookie-authenticated write route, and a same-site one without the CSRF token', async () => {
    const { cookie, csrf } = await r.signIn('root');
    const writes = r.relay.routes.filter((x) => x.method !== 'GET');
    expect(writes.length).toBeGreaterThanOrEqual(3);
    for (const x of writes) {
      const path = concrete(x.url);
      const form = { 'content-type': 'application/x-www-form-urlencoded', cookie };
      const crossSite = await fetch(`${r.url}${path}`, {
        method: x.method,
        headers: { ...form, origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' },
        body: 'a=1',
      });
      expect([x.url, crossSite.status, ((await crossSite.json()) as { error: string }).error]).toEqual([x.url, 403, 'csrf']);
      const noToken = await fetch(`${r.url}${path}`, { method: x.method, headers: { ...form, origin: r.url, 'sec-fetch-site': 'same-origin' }, body: 'a=1' });
      expect([x.url, noToken.status, ((await noToken.json()) as { error: string }).error]).toEqual([x.url, 403, 'csrf']);
      // Even the right token from another origin.
      const wrongOrigin = await fetch(`${r.url}${path}`, {
        method: x.method,
        headers: { ...form, origin: 'https://evil.example', 'x-csrf-token': csrf },
        body: 'a=1',
      });
      expect([x.url, wrongOrigin.status]).toEqual([x.url, 403]);
    }
    // Sign-in from another site is refused too (login CSRF).
    const login = await fetch(`${r.url}/v1/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' },
      body: JSON.stringify({ name: 'root', password: 'correct horse battery' }),
    });
    expect(login.status).toBe(403);
    // The dashboard's own request (same origin, the token) passes the CSRF checks: 404, no such alert.
    const ok = await fetch(`${r.url}/v1/alerts/nope/ack`, {
      method: 'POST',
      headers: { cookie, origin: r.url, 'sec-fetch-site': 'same-origin', 'x-csrf-token': csrf, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(ok.status).toBe(404);
  });

  it("refuses a viewer's ack (403) and lets a technician's through", async () => {
    const viewer = await r.signIn('vera');
    const headers = (s: { cookie: string; csrf: string }) => ({ cookie: s.cookie, origin: r.url, 'x-csrf-token': s.csrf, 'content-type': 'application/json' });
    const refused = await fetch(`${r.url}/v1/alerts/nope/ack`, { method: 'POST', headers: headers(viewer), body: '{}' });
    expect([refused.status, ((await refused.json()) as { error: string }).error]).toEqual([403, 'forbidden']);
    const tech = await r.signIn('tito');
    expect((await fetch(`${r.url}/v1/alerts/nope/ack`, { method: 'POST', headers: headers(tech), body: '{}' })).status).toBe(404);
  });

  it('locks a user after wrong passwords (423, even with the right one), and the admin sees it in the audit', async () => {
    await r.user('luz', 'viewer');
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await r.signIn('luz', 'wrong password!')).status);
    expect(statuses).toEqual([401, 401, 423]);
    const locked = await fetch(`${r.url}/v1/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: r.url },
      body: JSON.stringify({ name: 'luz', password: 'correct horse battery' }),
    });
    expect(locked.status).toBe(423);
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(500);
    expect(((await locked.json()) as { error: string; message: string }).error).toBe('locked');
    // An unknown user gets the same answer as a wrong password.
    expect((await r.signIn('nobody', 'wrong password!')).status).toBe(401);
    const admin = await r.signIn('ana');
    const audit = (await (await get('/v1/audit?action=user.locked', { cookie: admin.cookie })).json()) as { entries: Array<{ target: string; orgId: string }> };
    expect(audit.entries.map((e) => [e.target, e.orgId])).toEqual([['luz', 'default']]);
  });

  it("stops a disabled user's session and tokens on the next request; a revoked token too", async () => {
    const token = await r.user('dora', 'technician');
    const session = await r.signIn('dora');
    expect((await get('/v1/gateways', { authorization: `Bearer ${token}` })).status).toBe(200);
    expect((await get('/v1/gateways', { cookie: session.cookie })).status).toBe(200);
    await r.relay.users.setDisabled(OWNER, 'dora', true);
    expect((await get('/v1/gateways', { authorization: `Bearer ${token}` })).status).toBe(401);
    expect((await get('/v1/gateways', { cookie: session.cookie })).status).toBe(401);
    expect((await r.signIn('dora')).status).toBe(401);
    await r.relay.users.setDisabled(OWNER, 'dora', false);
    expect((await get('/v1/gateways', { authorization: `Bearer ${token}` })).status).toBe(200);
    const listed = (await r.relay.users.listTokens(OWNER)).users.find((t) => t.name === 'dora-token')!;
    expect(listed.lastUsedAt).not.toBeNull();
    await r.relay.users.revokeToken(OWNER, listed.id);
    expect((await get('/v1/gateways', { authorization: `Bearer ${token}` })).status).toBe(401);
  });

  it('signs out: the cookie is cleared and the session no longer works', async () => {
    const s = await r.signIn('vera');
    const out = await fetch(`${r.url}/v1/session`, { method: 'DELETE', headers: { cookie: s.cookie, origin: r.url, 'x-csrf-token': s.csrf } });
    expect(out.status).toBe(204);
    expect(out.headers.get('set-cookie')).toMatch(/^atalaya_session=; .*Max-Age=0/);
    expect((await get('/v1/session', { cookie: s.cookie })).status).toBe(401);
  });

  it('audits user and token changes; an admin sees only its organization, the owner every entry, paged', async () => {
    const admin = await r.signIn('ana');
    const page = async (query: string, cookie: string) =>
      (await (await get(`/v1/audit${query}`, { cookie })).json()) as {
        entries: Array<{ id: number; action: string; actor: string; orgId: string | null; details: object }>;
        next: string | null;
      };
    const mine = await page('?limit=500', admin.cookie);
    expect(new Set(mine.entries.map((e) => e.orgId))).toEqual(new Set(['default']));
    expect(mine.entries.some((e) => e.action === 'user.add' && e.actor === 'cli:test')).toBe(true);
    expect(JSON.stringify(mine.entries)).not.toMatch(/correct horse|atk_|scrypt\$/);
    const owner = await r.signIn('root');
    const all = await page('?limit=500', owner.cookie);
    expect(all.entries.some((e) => e.orgId === null)).toBe(true);
    const first = await page('?limit=2', owner.cookie);
    const second = await page(`?limit=2&before=${first.next}`, owner.cookie);
    expect([...first.entries, ...second.entries].map((e) => e.id)).toEqual(all.entries.slice(0, 4).map((e) => e.id));
    const viewer = await r.signIn('vera');
    expect((await get('/v1/audit', { cookie: viewer.cookie })).status).toBe(403);
    // The platform owner cannot be created by an admin.
    const anaPrincipal = { kind: 'session', name: 'ana', userId: null, orgId: 'default', role: 'admin' } as const;
    await expect(r.relay.users.add(anaPrincipal, { name: 'eve', role: 'owner', orgId: null, password: 'correct horse battery' })).rejects.toMatchObject({
      code: IDENTITY_FORBIDDEN,
    });
    // Nor a user of another organization, and nobody one of an organization that does not exist.
    await expect(r.relay.users.add(anaPrincipal, { name: 'eve', role: 'viewer', orgId: 'other', password: 'correct horse battery' })).rejects.toMatchObject({
      code: IDENTITY_FORBIDDEN,
    });
    await expect(r.relay.users.add(OWNER, { name: 'eve', role: 'viewer', orgId: 'nowhere', password: 'correct horse battery' })).rejects.toMatchObject({
      code: IDENTITY_NOT_FOUND,
    });
  });

  it('limits sign-in attempts per address (429 with Retry-After)', async () => {
    let last: Response | undefined;
    for (let i = 0; i < 30; i++) {
      last = await fetch(`${r.url}/v1/session`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'nobody', password: 'x' }),
      });
      await last.arrayBuffer();
      if (last.status === 429) break;
    }
    expect(last?.status).toBe(429);
    expect(Number(last?.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});
