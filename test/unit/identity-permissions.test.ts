/**
 * The permission table (cloud/identity/permissions.ts) against issue 15 §2's roles, and the pure
 * parts of sign-in: the per-address limiter, the session cookie, token roles within a user's.
 */
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { Guard } from '../../cloud/http/auth.ts';
import { ROUTE_UNGUARDED } from '../../cloud/http/errors.ts';
import { sessionCookie, sessionSetCookie } from '../../cloud/identity/cookies.ts';
import { IpLimiter } from '../../cloud/identity/ip-limiter.ts';
import { can, PERMISSION_NAMES, permissionsOf, roleWithin } from '../../cloud/identity/permissions.ts';
import { ROLES } from '../../cloud/identity/principal.ts';
import type { IdentityService } from '../../cloud/identity/service.ts';

describe('permission table', () => {
  it('gives each role of the issue what it describes', () => {
    // owner: everything; viewer: reads only; each write to the role the issue names.
    expect(permissionsOf('owner')).toEqual(PERMISSION_NAMES);
    expect(permissionsOf('viewer').filter((p) => !p.endsWith('.read'))).toEqual([]);
    expect(ROLES.filter((r) => can(r, 'dga.review'))).toEqual(['owner', 'compliance']);
    expect(ROLES.filter((r) => can(r, 'alerts.ack'))).toEqual(['owner', 'admin', 'technician']);
    expect(ROLES.filter((r) => can(r, 'users.manage'))).toEqual(['owner', 'admin']);
    expect(ROLES.filter((r) => can(r, 'audit.read'))).toEqual(['owner', 'admin']);
    expect(ROLES.filter((r) => can(r, 'dga.evidence'))).toEqual(['owner', 'admin', 'compliance']);
    expect(ROLES.filter((r) => can(r, 'metrics.read'))).toEqual(['owner']);
  });

  it('keeps a token within its user: same or fewer permissions, never owner for others', () => {
    expect(roleWithin('viewer', 'technician')).toBe(true);
    expect(roleWithin('technician', 'technician')).toBe(true);
    expect(roleWithin('compliance', 'admin')).toBe(false);
    expect(roleWithin('technician', 'compliance')).toBe(false);
    expect(roleWithin('owner', 'admin')).toBe(false);
    for (const r of ROLES) expect(roleWithin(r, 'owner')).toBe(true);
  });
});

describe('sign-in parts', () => {
  it('limits attempts per address per window, then lets them in again', () => {
    let t = 1_000_000;
    const limiter = new IpLimiter({ now: () => t, monotonic: () => t }, 3, 60_000);
    expect([limiter.take('a'), limiter.take('a'), limiter.take('a')]).toEqual([0, 0, 0]);
    expect(limiter.take('a')).toBe(60);
    expect(limiter.take('b')).toBe(0);
    t += 59_000;
    expect(limiter.take('a')).toBe(1);
    t += 1000;
    expect(limiter.take('a')).toBe(0);
  });

  it('reads only a well-formed session cookie and writes it HttpOnly, SameSite=Strict, Secure over HTTPS', () => {
    const id = 'A'.repeat(43);
    expect(sessionCookie(`theme=dark; atalaya_session=${id}`)).toBe(id);
    expect(sessionCookie('atalaya_session=<script>')).toBeUndefined();
    expect(sessionCookie(undefined)).toBeUndefined();
    expect(sessionSetCookie(id, 60, true)).toBe(`atalaya_session=${id}; Path=/; HttpOnly; SameSite=Strict; Max-Age=60; Secure`);
    expect(sessionSetCookie('', 0, false)).toBe('atalaya_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0');
  });
});

describe('guard', () => {
  it('refuses to start with a route that has neither a permission nor a place among the public routes', async () => {
    const guard = new Guard({} as IdentityService);
    const app = Fastify();
    guard.attach(app);
    app.get('/healthz', async () => 'ok');
    app.get('/v1/readings', guard.route('readings.read'), async () => 'ok');
    app.get('/v1/forgotten', async () => 'oops');
    await expect(app.ready()).rejects.toMatchObject({ code: ROUTE_UNGUARDED, details: { routes: ['GET /v1/forgotten'] } });
    expect(guard.guarded).toEqual([{ method: 'GET', url: '/v1/readings', permission: 'readings.read' }]);
    await app.close().catch(() => undefined);
  });
});
