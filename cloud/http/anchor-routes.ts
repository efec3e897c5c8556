import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { isAtalayaError } from '../../protocols/errors.ts';
import { PROOF_NOT_ANCHORED, PROOF_NOT_FOUND } from '../anchor/errors.ts';
import type { AnchorService } from '../anchor/service.ts';
import type { AnchorTx } from '../store/anchor-types.ts';
import type { Guard } from './auth.ts';
import type { ApiErrorBody } from './errors.ts';
import { assertGatewayInOrg, assertInOrg, type OrgOfGateway } from './org-scope.ts';
import { limitQuerySchema, parseQuery } from './query.ts';

export interface AnchorRoutesOptions {
  readonly anchor: AnchorService;
  /** Authentication and permissions (auth.ts): anchor.read. */
  readonly guard: Guard;
  /**
   * A gateway's organization (issue 15): an organization's principal gets the proofs of its own
   * gateways' records only. Without it, only the owner gets proofs.
   */
  readonly orgOfGateway?: OrgOfGateway;
}

const seqParams = z.strictObject({
  gateway: z.string().min(1).max(64),
  seq: z
    .string()
    .regex(/^\d{1,15}$/, 'a record sequence number')
    .transform(Number),
});
const idParams = z.strictObject({
  id: z
    .string()
    .regex(/^\d{1,15}$/, 'a batch id')
    .transform(Number),
});
const listQuery = limitQuerySchema.extend({
  before: z
    .string()
    .regex(/^\d{1,15}$/, 'a batch id')
    .transform(Number)
    .optional(),
});

/** A transaction as the API shows it: the signed bytes are left out (they are on chain once sent). */
const publicTx = ({ raw: _raw, ...tx }: AnchorTx): Omit<AnchorTx, 'raw'> => tx;

/**
 * Anchoring behind the operator tokens:
 * - `GET /v1/proofs/<gateway>/<seq>`: the proof document of one record (protocols/anchor/document.ts),
 *   for `atalaya verify`; 404 not_found for an unknown record, 409 not_anchored (with the batch's
 *   status) while its batch is not in a block;
 * - `GET /v1/anchors[?limit&before]`: batches, newest first, with status, root, transaction, block,
 *   gas and cost; `GET /v1/anchors/<id>`: one batch with every transaction signed for it;
 * - `GET /v1/anchors/errors[?limit]`: what failed talking to the chain, newest first.
 */
export async function registerAnchorRoutes(app: FastifyInstance, options: AnchorRoutesOptions): Promise<void> {
  const { anchor } = options;
  const read = options.guard.route('anchor.read');
  const orgOfGateway = options.orgOfGateway ?? (async () => undefined);
  await app.register(async (scope) => {
    scope.get('/v1/proofs/:gateway/:seq', read, async (request, reply) => {
      const { gateway, seq } = parseQuery(seqParams, request.params);
      await assertGatewayInOrg(request, orgOfGateway, gateway);
      try {
        return await anchor.proof(gateway, seq);
      } catch (err) {
        if (isAtalayaError(err, PROOF_NOT_FOUND)) return reply.code(404).send({ error: 'not_found', message: err.message } satisfies ApiErrorBody);
        if (isAtalayaError(err, PROOF_NOT_ANCHORED))
          return reply.code(409).send({ error: 'not_anchored', message: err.message, status: err.details?.['status'], batch: err.details?.['batch'] });
        throw err;
      }
    });

    scope.get('/v1/anchors', read, async (request) => {
      const { limit, before } = parseQuery(listQuery, request.query);
      return { batches: await anchor.batches(before === undefined ? { limit } : { limit, before }) };
    });

    // Batches are relay-wide (one root over every organization's records, public on chain) and show
    // no record; what failed talking to the chain is the platform's business: owner only.
    scope.get('/v1/anchors/errors', read, async (request) => {
      assertInOrg(request.principal, null, 'anchoring errors');
      const { limit } = parseQuery(limitQuerySchema, request.query);
      return { errors: await anchor.errors(limit) };
    });

    scope.get('/v1/anchors/:id', read, async (request, reply) => {
      const { id } = parseQuery(idParams, request.params);
      const found = await anchor.batch(id);
      if (found === undefined) return reply.code(404).send({ error: 'not_found', message: `no batch ${id}` } satisfies ApiErrorBody);
      return { batch: found.batch, txs: found.txs.map(publicTx) };
    });
  });
}
