/**
 * `GET /v1/audit` (issue 15 §4, permission audit.read): the audit, newest first, with filters
 * `action`, `actor`, `from`, `to` (epoch ms or ISO 8601) and cursor paging (`before` = the
 * previous page's `next`). An admin sees its own organization's entries; the owner every
 * organization's, or one with `org=<id>` (`org=-` for platform-level entries).
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Auditor } from '../identity/audit.ts';
import { AUDIT_ACTIONS } from '../identity/audit.ts';
import { principalOf } from '../identity/principal.ts';
import type { Guard } from './auth.ts';
import { instant, parseQuery } from './query.ts';

const auditQuery = z.strictObject({
  org: z.string().min(1).max(64).optional(),
  action: z.enum(AUDIT_ACTIONS).optional(),
  actor: z.string().min(1).max(128).optional(),
  from: instant.optional(),
  to: instant.optional(),
  before: z
    .string()
    .regex(/^\d{1,15}$/, '`next` of the previous page')
    .transform(Number)
    .optional(),
  limit: z
    .string()
    .regex(/^\d{1,4}$/, 'an integer 1..1000')
    .transform(Number)
    .pipe(z.number().min(1).max(1000))
    .default(100),
});

export async function registerAuditRoutes(app: FastifyInstance, options: { readonly auditor: Auditor; readonly guard: Guard }): Promise<void> {
  await app.register(async (scope) => {
    scope.get('/v1/audit', options.guard.route('audit.read'), async (request) => {
      const q = parseQuery(auditQuery, request.query);
      const principal = principalOf(request);
      // An admin's own organization, whatever `org` says; the owner chooses.
      const orgId = principal.orgId !== null ? principal.orgId : q.org === undefined ? undefined : q.org === '-' ? null : q.org;
      const entries = await options.auditor.query({
        orgId,
        action: q.action,
        actor: q.actor,
        from: q.from,
        to: q.to,
        before: q.before,
        limit: q.limit,
      });
      const last = entries.at(-1);
      return { entries, next: entries.length === q.limit && last !== undefined ? String(last.id) : null };
    });
  });
}
