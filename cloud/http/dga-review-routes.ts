/**
 * The DGA review API (docs/dga.md#review-before-sending), next to dga-routes.ts: `GET /v1/dga/review[?obra=]` lists the slots a plausibility check held, with
 * their findings and the readings behind them; `POST /v1/dga/<obra>/<slot>/approve|correct|mark-missing`
 * acts on one (permission dga.review), the principal's name recorded as who acted in the DGA audit
 * and the relay's audit (cloud/identity/audit.ts). 409 when the slot is not in review.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { DgaEngine } from '../dga/engine.ts';
import { parseSlot } from '../dga/engine.ts';
import { DGA_INVALID_SLOT, DGA_NOT_IN_REVIEW, DGA_REVIEW_INVALID, DGA_UNKNOWN_OBRA, DGA_UNKNOWN_SLOT, isRelayDgaError } from '../dga/errors.ts';
import type { Auditor } from '../identity/audit.ts';
import { principalOf } from '../identity/principal.ts';
import { REVIEW_ACTIONS, type ReviewActionKind } from '../store/dga-types.ts';
import type { Guard } from './auth.ts';
import type { ApiErrorBody } from './errors.ts';
import type { ObraScope } from './org-obras.ts';

interface ActionBody {
  readonly reason?: string;
  readonly values?: Record<string, number>;
}

const actionBodySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    reason: { type: 'string', maxLength: 1000 },
    values: { type: 'object', additionalProperties: { type: 'number' } },
  },
} as const;

function refuse(reply: FastifyReply, err: unknown): FastifyReply {
  if (isRelayDgaError(err, DGA_UNKNOWN_OBRA) || isRelayDgaError(err, DGA_UNKNOWN_SLOT))
    return reply.code(404).send({ error: 'not_found', message: err.message } satisfies ApiErrorBody);
  if (isRelayDgaError(err, DGA_NOT_IN_REVIEW)) return reply.code(409).send({ error: 'conflict', message: err.message } satisfies ApiErrorBody);
  if (isRelayDgaError(err, DGA_REVIEW_INVALID) || isRelayDgaError(err, DGA_INVALID_SLOT)) {
    const field = typeof err.details?.['field'] === 'string' ? err.details['field'] : 'slot';
    return reply.code(400).send({ error: 'bad_request', message: err.message, problems: [{ path: field, message: err.message }] } satisfies ApiErrorBody);
  }
  throw err;
}

export function registerReviewRoutes(scope: FastifyInstance, engine: DgaEngine, guard: Guard, auditor: Auditor | undefined, obras: ObraScope): void {
  scope.get<{ Querystring: { obra?: string } }>('/v1/dga/review', guard.route('dga.read'), async (request, reply) => {
    if (request.query.obra !== undefined) await obras.assert(request, request.query.obra);
    const visible = await obras.visible(request);
    try {
      return { slots: (await engine.review.list(request.query.obra)).filter((s) => visible(s.obra)) };
    } catch (err) {
      return refuse(reply, err);
    }
  });

  scope.post<{ Params: { obra: string; slot: string; action: string }; Body: ActionBody | undefined }>(
    '/v1/dga/:obra/:slot/:action',
    { schema: { body: actionBodySchema }, ...guard.route('dga.review') },
    async (request, reply) => {
      const { obra, slot, action } = request.params;
      await obras.assert(request, obra);
      if (!(REVIEW_ACTIONS as readonly string[]).includes(action))
        return reply.code(404).send({ error: 'not_found', message: `no action '${action}' (${REVIEW_ACTIONS.join(', ')})` } satisfies ApiErrorBody);
      try {
        const body = request.body ?? {};
        const by = principalOf(request);
        const result = await engine.review.act(obra, parseSlot(slot), action as ReviewActionKind, {
          actor: by.name,
          reason: body.reason,
          values: body.values,
        });
        await auditor?.record(by, 'dga.review', `${obra}/${slot}`, { action, reason: body.reason ?? null, values: body.values ?? null });
        return result;
      } catch (err) {
        return refuse(reply, err);
      }
    },
  );
}
