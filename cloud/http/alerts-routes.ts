import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { ALERTS_ACK_TOKEN_EXPIRED, isAlertsError } from '../alerts/errors.ts';
import type { AlertService } from '../alerts/service.ts';
import type { Auditor } from '../identity/audit.ts';
import { principalOf } from '../identity/principal.ts';
import type { Guard } from './auth.ts';
import type { ApiErrorBody } from './errors.ts';
import { assertInOrg, orgScope } from './org-scope.ts';
import { parseQuery } from './query.ts';

export interface AlertsRoutesOptions {
  readonly alerts: AlertService;
  /** Authentication and permissions (auth.ts): alerts.read, alerts.ack. */
  readonly guard: Guard;
  /** Records each acknowledgement (cloud/identity/audit.ts). */
  readonly auditor?: Auditor;
}

const listQuery = z.strictObject({
  state: z.enum(['open', 'closed', 'all']).default('open'),
  limit: z
    .string()
    .regex(/^\d{1,4}$/, 'an integer 1..1000')
    .transform(Number)
    .pipe(z.number().min(1).max(1000))
    .default(100),
  before: z
    .string()
    .regex(/^\d{1,15}:.{1,512}$/s, '`next` of the previous page (<openedAt>:<id>)')
    .transform((s) => ({ openedAt: Number(s.slice(0, s.indexOf(':'))), id: s.slice(s.indexOf(':') + 1) }))
    .optional(),
});
const idParams = z.strictObject({ id: z.string().min(1).max(512) });
const ackBody = z.strictObject({ by: z.string().min(1).max(128).optional() }).default({});
const tokenQuery = z.strictObject({ t: z.string().min(1).max(4096) });

const HEADERS = {
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

const htmlEscape = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(reply: FastifyReply, status: number, title: string, body: string): FastifyReply {
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${htmlEscape(title)}</title></head><body style="font-family:sans-serif;max-width:36em;margin:2em auto"><h1>${htmlEscape(title)}</h1>${body}</body></html>`;
  return reply.code(status).headers(HEADERS).type('text/html; charset=utf-8').send(html);
}

/**
 * Alerts (cloud/alerts/README.md):
 * - behind the guard (alerts.read; the ack alerts.ack): `GET /v1/alerts?state=open|closed|all&limit&before=<next>` (with a
 *   deliveries summary per alert), `GET /v1/alerts/<id>` (its messages and delivery log),
 *   `POST /v1/alerts/<id>/ack` `{ by? }`;
 * - the ack link, without a token (the signed link is the credential): `GET /v1/alerts/ack?t=`
 *   shows the alert and a button; only its `POST /v1/alerts/ack` (form field t) acknowledges, so a
 *   mail scanner following the link changes nothing.
 */
export async function registerAlertsRoutes(app: FastifyInstance, options: AlertsRoutesOptions): Promise<void> {
  const { alerts } = options;

  await app.register(async (scope) => {
    scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 8192 }, (_req, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(body as string)));
    });

    const claimOf = (token: string, reply: FastifyReply) => {
      try {
        return alerts.verifyLink(token);
      } catch (err) {
        if (!isAlertsError(err)) throw err;
        const expired = isAlertsError(err, ALERTS_ACK_TOKEN_EXPIRED);
        page(
          reply,
          expired ? 410 : 403,
          expired ? 'This link has expired' : 'This link is not valid',
          '<p>Acknowledge the alert from the dashboard instead.</p>',
        );
        return undefined;
      }
    };

    scope.get('/v1/alerts/ack', async (request, reply) => {
      const { t } = parseQuery(tokenQuery, request.query);
      const claim = claimOf(t, reply);
      if (claim === undefined) return reply;
      const found = await alerts.get(claim.alertId);
      if (found === undefined) return page(reply, 404, 'Unknown alert', '');
      const a = found.alert;
      const state = a.ackedAt !== null ? `<p>Already acknowledged by ${htmlEscape(a.ackedBy ?? '?')} at ${new Date(a.ackedAt).toISOString()}.</p>` : '';
      return page(
        reply,
        200,
        'Acknowledge alert',
        `<p data-testid="alert-title">${htmlEscape(a.title)}</p><p>State: ${a.state}. Opened ${new Date(a.openedAt).toISOString()}.</p>${state}<form method="post" action="ack"><input type="hidden" name="t" value="${htmlEscape(t)}"><button type="submit">Acknowledge as ${htmlEscape(claim.recipient)}</button></form>`,
      );
    });

    scope.post('/v1/alerts/ack', async (request, reply) => {
      const { t } = parseQuery(tokenQuery, request.body ?? {});
      const claim = claimOf(t, reply);
      if (claim === undefined) return reply;
      const result = await alerts.ack(claim.alertId, `link:${claim.recipient}`);
      if (result === 'unknown') return page(reply, 404, 'Unknown alert', '');
      return page(
        reply,
        200,
        result === 'acked' ? 'Acknowledged' : 'Already acknowledged',
        `<p>Alert ${htmlEscape(claim.alertId)}: escalation and reminders stopped.</p>`,
      );
    });
  });

  const { guard } = options;
  await app.register(async (scope) => {
    scope.get('/v1/alerts', guard.route('alerts.read'), async (request) => {
      const { state, limit, before } = parseQuery(listQuery, request.query);
      const page = await alerts.list(state === 'all' ? undefined : state, limit, before, orgScope(request));
      const last = page.at(-1);
      return { alerts: page, next: page.length === limit && last !== undefined ? `${last.openedAt}:${last.id}` : null };
    });

    scope.get('/v1/alerts/:id', guard.route('alerts.read'), async (request, reply) => {
      const { id } = parseQuery(idParams, request.params);
      const found = await alerts.get(id);
      if (found === undefined) return reply.code(404).send({ error: 'not_found', message: `no alert ${id}` } satisfies ApiErrorBody);
      assertInOrg(request.principal, found.alert.orgId, `alert ${id}`);
      return found;
    });

    scope.post('/v1/alerts/:id/ack', guard.route('alerts.ack'), async (request, reply) => {
      const { id } = parseQuery(idParams, request.params);
      const { by } = parseQuery(ackBody, request.body ?? {});
      // Who acts is the principal (audited); `by` only says on whose behalf.
      const principal = principalOf(request);
      const orgId = (await alerts.get(id))?.alert.orgId;
      assertInOrg(principal, orgId, `alert ${id}`);
      const result = await alerts.ack(id, by === undefined ? principal.name : `${principal.name} for ${by}`);
      if (result === 'unknown') return reply.code(404).send({ error: 'not_found', message: `no alert ${id}` } satisfies ApiErrorBody);
      // In the alert's organization's audit, also when the owner acts (issue 15).
      if (result === 'acked') await options.auditor?.record(principal, 'alert.ack', id, by === undefined ? {} : { for: by }, orgId ?? principal.orgId);
      return { result, alert: (await alerts.get(id))?.alert };
    });
  });
}
