import { afterEach, describe, expect, it } from 'vitest';
import { cookieValue, hashStatusToken, newStatusToken, statusTokenHashes } from '../../agent/status/auth.ts';
import { STATUS_TOKENS_INVALID } from '../../agent/status/errors.ts';
import { isAtalayaError } from '../../protocols/errors.ts';
import { bearer, type Fixture, startFixture, TOKEN } from './status-setup.ts';

/** Every route that shows data or acts: each must refuse a request without a valid token. */
const PROTECTED: Array<{ method: 'GET' | 'POST'; url: string; payload?: unknown }> = [
  { method: 'GET', url: '/api/overview' },
  { method: 'GET', url: '/api/devices' },
  { method: 'GET', url: '/api/series?device=gas&channel=ch4' },
  { method: 'GET', url: '/api/alarms' },
  { method: 'GET', url: '/api/events' },
  { method: 'POST', url: '/api/alarms/ack', payload: { device: 'gas', channel: 'ch4', rule: 'high1' } },
  { method: 'POST', url: '/api/inspect', payload: { device: 'gas', table: 'holding', address: 0, count: 2 } },
  { method: 'GET', url: '/metrics' },
];

describe('status tokens', () => {
  it('hashes with sha256 hex and makes distinct cookie-safe tokens', () => {
    expect(hashStatusToken('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    const a = newStatusToken();
    expect(a).toMatch(/^ats_[A-Za-z0-9_-]{43}$/);
    expect(newStatusToken()).not.toBe(a);
  });

  it('adds ATALAYA_STATUS_TOKENS to the configured hashes and refuses a malformed one', () => {
    const h1 = hashStatusToken('one');
    const h2 = hashStatusToken('two');
    expect(statusTokenHashes([h1], { ATALAYA_STATUS_TOKENS: ` ${h2}, ${h1},` })).toEqual([h1, h2]);
    expect(statusTokenHashes([], {})).toEqual([]);
    let err: unknown;
    try {
      statusTokenHashes([], { ATALAYA_STATUS_TOKENS: `${h1},not-a-hash` });
    } catch (e) {
      err = e;
    }
    expect(isAtalayaError(err, STATUS_TOKENS_INVALID)).toBe(true);
  });

  it('finds one cookie among several (RFC 6265 §5.4)', () => {
    expect(cookieValue('a=1; atalaya_status=tok; b=2', 'atalaya_status')).toBe('tok');
    expect(cookieValue('atalaya_status="tok"', 'atalaya_status')).toBe('tok');
    expect(cookieValue('xatalaya_status=tok', 'atalaya_status')).toBeUndefined();
    expect(cookieValue(undefined, 'atalaya_status')).toBeUndefined();
  });
});

describe('status API authentication', () => {
  let f: Fixture | undefined;
  afterEach(async () => {
    await f?.close();
    f = undefined;
  });

  it.each(PROTECTED)('$method $url answers 401 without a token, with a wrong one, and with a wrong cookie', async ({ method, url, payload }) => {
    f = await startFixture();
    const app = f.server.app!;
    const json = payload === undefined ? {} : { payload: payload as object };
    for (const headers of [{}, { authorization: 'Bearer ats_wrong' }, { authorization: 'Basic dXNlcjpwYXNz' }, { cookie: 'atalaya_status=ats_wrong' }]) {
      const r = await app.inject({ method, url, headers, ...json });
      expect(r.statusCode).toBe(401);
      expect(r.json()).toMatchObject({ error: 'unauthenticated' });
      expect(r.headers['www-authenticate']).toMatch(/^Bearer/);
      expect(r.headers['content-security-policy']).toContain("default-src 'self'");
    }
  });

  it('accepts the bearer token and the login cookie on every data route', async () => {
    f = await startFixture();
    const app = f.server.app!;
    for (const { method, url, payload } of PROTECTED.filter((p) => p.url !== '/api/events')) {
      for (const headers of [bearer, { cookie: `other=1; atalaya_status=${TOKEN}` }]) {
        const r = await app.inject({ method, url, headers, ...(payload === undefined ? {} : { payload: payload as object }) });
        expect(r.statusCode, `${method} ${url}`).not.toBe(401);
      }
    }
  });

  it('answers 401 to every token when none is configured', async () => {
    f = await startFixture([]);
    const r = await f.server.app!.inject({ method: 'GET', url: '/api/overview', headers: bearer });
    expect(r.statusCode).toBe(401);
    const login = await f.server.app!.inject({ method: 'POST', url: '/api/login', payload: { token: TOKEN } });
    expect(login.statusCode).toBe(401);
  });

  it('logs in with an HttpOnly SameSite=Strict cookie that then authenticates, and logs out', async () => {
    f = await startFixture();
    const app = f.server.app!;
    expect((await app.inject({ method: 'POST', url: '/api/login', payload: { token: 'ats_wrong' } })).statusCode).toBe(401);
    const login = await app.inject({ method: 'POST', url: '/api/login', payload: { token: TOKEN } });
    expect(login.statusCode).toBe(204);
    const cookie = String(login.headers['set-cookie']);
    expect(cookie.split('; ')).toEqual([`atalaya_status=${TOKEN}`, 'HttpOnly', 'SameSite=Strict', 'Path=/']);
    expect(login.headers['cache-control']).toBe('no-store');
    const r = await app.inject({ method: 'GET', url: '/api/overview', headers: { cookie: cookie.split(';')[0]! } });
    expect(r.statusCode).toBe(200);
    const logout = await app.inject({ method: 'POST', url: '/api/logout', headers: { 'content-type': 'application/json' } });
    expect(logout.statusCode).toBe(204);
    expect(String(logout.headers['set-cookie'])).toMatch(/^atalaya_status=; .*Max-Age=0/);
  });

  it('refuses a POST whose body is not declared JSON, even with a valid token (CSRF guard)', async () => {
    f = await startFixture();
    const app = f.server.app!;
    f.active = [{ device: 'gas', channel: 'ch4', rule: 'high1', level: 'warning', threshold: 10, state: 'raised', latched: false, value: 12, ts: 1 }];
    const form = 'device=gas&channel=ch4&rule=high1';
    for (const type of ['application/x-www-form-urlencoded', 'text/plain', 'multipart/form-data; boundary=x']) {
      const r = await app.inject({ method: 'POST', url: '/api/alarms/ack', headers: { ...bearer, 'content-type': type }, payload: form });
      expect(r.statusCode).toBe(415);
      expect(r.json()).toMatchObject({ error: 'unsupported_media_type' });
    }
    const login = await app.inject({ method: 'POST', url: '/api/login', headers: { 'content-type': 'text/plain' }, payload: JSON.stringify({ token: TOKEN }) });
    expect(login.statusCode).toBe(415);
    expect(login.headers['set-cookie']).toBeUndefined();
    expect(f.acked).toEqual([]);
  });

  it('serves the page files without a token, with the security headers', async () => {
    f = await startFixture();
    const app = f.server.app!;
    for (const [url, type] of [
      ['/', 'text/html'],
      ['/assets/app.js', 'text/javascript'],
      ['/assets/app.css', 'text/css'],
      ['/assets/uplot.iife.min.js', 'text/javascript'],
      ['/assets/uplot.min.css', 'text/css'],
    ] as const) {
      const r = await app.inject({ method: 'GET', url });
      expect(r.statusCode, url).toBe(200);
      expect(r.headers['content-type']).toContain(type);
      expect(r.headers['content-security-policy']).toBe("default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; connect-src 'self'");
      expect(r.headers['x-content-type-options']).toBe('nosniff');
      expect(r.headers['referrer-policy']).toBe('no-referrer');
    }
    expect((await app.inject({ method: 'GET', url: '/assets/uplot.iife.min.js' })).body).toContain('uPlot');
    // The page's other ES modules are served from the same folder; nothing outside it.
    expect((await app.inject({ method: 'GET', url: '/assets/api.js' })).statusCode).toBe(200);
    for (const url of ['/assets/missing.js', '/assets/..%2Findex.html', '/assets/%2e%2e%2f%2e%2e%2fpackage.json', '/assets/index.html', '/assets/.hidden.js']) {
      const r = await app.inject({ method: 'GET', url });
      expect(r.statusCode, url).toBe(404);
      expect(r.json()).toMatchObject({ error: 'not_found' });
    }
  });

  it('does not route a percent-encoded path around the token check', async () => {
    f = await startFixture();
    const r = await f.server.app!.inject({ method: 'GET', url: '/%61pi/overview' });
    expect([401, 404]).toContain(r.statusCode);
    expect(r.body).not.toContain('gw-unit');
  });
});
