/**
 * The gateway a fleet route acts on (issue 15 §1 on issue 16's routes): provisioned and of the
 * principal's organization, or a 404 like an unknown one, never a 403 that tells it exists.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ApiErrorBody } from '../http/errors.ts';
import { inOrg } from '../http/org-scope.ts';
import type { GatewayRow, RelayStore } from '../store/types.ts';

/** The gateway's row, or undefined once a 404 is sent. */
export async function gatewayOfRequest(
  gateways: Pick<RelayStore, 'getGateway'>,
  request: FastifyRequest,
  id: string,
  reply: FastifyReply,
): Promise<GatewayRow | undefined> {
  const row = await gateways.getGateway(id);
  if (row !== undefined && inOrg(request.principal, row.orgId)) return row;
  await reply.code(404).send({ error: 'not_found', message: `no gateway ${id}` } satisfies ApiErrorBody);
  return undefined;
}
