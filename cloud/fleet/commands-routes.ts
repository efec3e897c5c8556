import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { COMMAND_KINDS } from '../../protocols/fleet/commands-wire.ts';
import type { Guard } from '../http/auth.ts';
import { parseQuery } from '../http/query.ts';
import type { Auditor } from '../identity/audit.ts';
import { principalOf } from '../identity/principal.ts';
import type { RelayStore } from '../store/types.ts';
import type { CommandsService } from './commands-service.ts';
import { gatewayOfRequest } from './org-gateway.ts';

export interface CommandsRoutesOptions {
  readonly commands: CommandsService;
  readonly gateways: Pick<RelayStore, 'getGateway'>;
  /** Authentication and the permission of each route (cloud/http/auth.ts). */
  readonly guard: Guard;
  /** Records each command created: who, the gateway's organization, kind and args. */
  readonly auditor?: Auditor;
}

const idParams = z.strictObject({ id: z.string().min(1).max(64) });
const createBody = z.strictObject({ kind: z.enum(COMMAND_KINDS), args: z.record(z.string(), z.unknown()).default({}) });
const listQuery = z.strictObject({
  limit: z
    .string()
    .regex(/^\d{1,3}$/, 'an integer 1..500')
    .transform(Number)
    .pipe(z.number().min(1).max(500))
    .default(100),
});

/**
 * Remote commands (cloud/fleet/README.md), behind the guard (cloud/http/auth.ts), scoped to the
 * principal's organization (another's gateway: 404), each creation audited:
 * `POST /v1/gateways/<id>/commands` `{ kind, args }` → 201 with the command (its id, createdAt,
 * expiresAt; the operator audited as createdBy); `GET …/commands` newest first, with outcomes.
 */
export async function registerCommandsRoutes(app: FastifyInstance, options: CommandsRoutesOptions): Promise<void> {
  const { commands, gateways } = options;
  await app.register(async (scope) => {
    const { guard } = options;

    scope.post('/v1/gateways/:id/commands', guard.route('fleet.command'), async (request, reply) => {
      const { id } = parseQuery(idParams, request.params);
      // Another organization's gateway answers 404 whatever the body (nothing tells it exists).
      const gateway = await gatewayOfRequest(gateways, request, id, reply);
      if (gateway === undefined) return reply;
      const { kind, args } = parseQuery(createBody, request.body ?? {});
      const principal = principalOf(request);
      const command = await commands.create(id, kind, args, principal.name);
      await options.auditor?.record(principal, 'gateway.command', id, { command: command.id, kind, args }, gateway.orgId);
      return reply.code(201).send(command);
    });

    scope.get('/v1/gateways/:id/commands', guard.route('fleet.read'), async (request, reply) => {
      const { id } = parseQuery(idParams, request.params);
      const { limit } = parseQuery(listQuery, request.query);
      if ((await gatewayOfRequest(gateways, request, id, reply)) === undefined) return reply;
      return { commands: await commands.list(id, limit) };
    });
  });
}
