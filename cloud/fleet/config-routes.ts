import type { FastifyInstance } from 'fastify';
import { stringify } from 'yaml';
import { z } from 'zod';
import { ConfigError } from '../../protocols/config-errors.ts';
import type { Guard } from '../http/auth.ts';
import type { ApiErrorBody } from '../http/errors.ts';
import { parseQuery } from '../http/query.ts';
import type { Auditor } from '../identity/audit.ts';
import { principalOf } from '../identity/principal.ts';
import type { RelayStore } from '../store/types.ts';
import type { ConfigService } from './config-service.ts';
import { gatewayOfRequest } from './org-gateway.ts';

export interface ConfigRoutesOptions {
  readonly config: ConfigService;
  readonly gateways: Pick<RelayStore, 'getGateway'>;
  /** Authentication and the permission of each route (cloud/http/auth.ts). */
  readonly guard: Guard;
  /** Records each config set: who, the gateway's organization, version and sha256 (never the YAML). */
  readonly auditor?: Auditor;
}

const idParams = z.strictObject({ id: z.string().min(1).max(64) });
const getQuery = z.strictObject({
  version: z
    .string()
    .regex(/^\d{1,9}$/, 'a version number')
    .transform(Number)
    .optional(),
});
/** Largest config accepted, bytes (the wire schema's bound). */
const MAX_CONFIG_BYTES = 1_048_576;

/**
 * A gateway's desired config (cloud/fleet/README.md), behind the guard (cloud/http/auth.ts):
 * scoped to the principal's organization (another's gateway: 404), each set audited:
 * `PUT /v1/gateways/<id>/config` (YAML as application/yaml or text/yaml, or JSON) → 201 with the
 * new version, or 400 with every problem's path; `GET …/config[?version=N]`; `GET …/config/history`.
 */
export async function registerConfigRoutes(app: FastifyInstance, options: ConfigRoutesOptions): Promise<void> {
  const { config, gateways } = options;
  await app.register(async (scope) => {
    for (const type of ['application/yaml', 'application/x-yaml', 'text/yaml', 'text/plain'])
      scope.addContentTypeParser(type, { parseAs: 'string', bodyLimit: MAX_CONFIG_BYTES }, (_req, body, done) => done(null, body));
    const { guard } = options;

    scope.put('/v1/gateways/:id/config', { bodyLimit: MAX_CONFIG_BYTES, ...guard.route('fleet.configure') }, async (request, reply) => {
      const { id } = parseQuery(idParams, request.params);
      const gateway = await gatewayOfRequest(gateways, request, id, reply);
      if (gateway === undefined) return reply;
      const body = request.body;
      const yaml = typeof body === 'string' ? body : body !== null && typeof body === 'object' ? stringify(body) : '';
      try {
        const principal = principalOf(request);
        const stored = await config.set(id, yaml, principal.name);
        const { yaml: _yaml, ...meta } = stored;
        // What changed is the version and its digest: the YAML may hold credentials' values.
        await options.auditor?.record(principal, 'gateway.config', id, { version: stored.version, sha256: stored.sha256 }, gateway.orgId);
        return reply.code(201).send(meta);
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        return reply.code(400).send({ error: 'bad_request', message: err.message, problems: err.problems } satisfies ApiErrorBody);
      }
    });

    scope.get('/v1/gateways/:id/config', guard.route('fleet.read'), async (request, reply) => {
      const { id } = parseQuery(idParams, request.params);
      const { version } = parseQuery(getQuery, request.query);
      if ((await gatewayOfRequest(gateways, request, id, reply)) === undefined) return reply;
      const view = await config.view(id, version);
      if (version !== undefined && view.desired === null)
        return reply.code(404).send({ error: 'not_found', message: `gateway ${id} has no config version ${version}` } satisfies ApiErrorBody);
      return view;
    });

    scope.get('/v1/gateways/:id/config/history', guard.route('fleet.read'), async (request, reply) => {
      const { id } = parseQuery(idParams, request.params);
      if ((await gatewayOfRequest(gateways, request, id, reply)) === undefined) return reply;
      return config.history(id);
    });
  });
}
