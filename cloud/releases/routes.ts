/**
 * Release routes (cloud/releases/README.md):
 * - `GET /v1/releases/<version>/tarball?gateway&expires&sig`: the tarball, with Range support
 *   (RFC 9110 §14), for the gateway the signed URL names (url.ts), until it expires;
 * - owner-only (a platform matter, cloud/identity/permissions.ts): `GET /v1/releases` (releases,
 *   rollouts, each gateway's update state) and `POST /v1/releases/<version>/rollout`
 *   `{ gateways? | group?, percent? }`, recorded with the principal's name and audited.
 */
import { createReadStream } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Clock } from '../../protocols/clock.ts';
import { type RolloutTarget, VERSION } from '../../protocols/release/index.ts';
import type { Guard } from '../http/auth.ts';
import type { ApiErrorBody } from '../http/errors.ts';
import { parseQuery } from '../http/query.ts';
import type { Auditor } from '../identity/audit.ts';
import { principalOf } from '../identity/principal.ts';
import type { SqlReleasesStore } from '../store/releases-store.ts';
import { isReleasesError } from './errors.ts';
import { parseRange } from './range.ts';
import type { ReleaseService } from './service.ts';
import { checkTarballUrl } from './url.ts';

export interface ReleaseRoutesOptions {
  readonly service: ReleaseService;
  readonly store: SqlReleasesStore;
  readonly urlKey: Uint8Array;
  /** Authentication and the permission of each route (cloud/http/auth.ts). */
  readonly guard: Guard;
  /** Records each rollout (who, version, target, percent). */
  readonly auditor?: Auditor;
  readonly clock: Clock;
}

const versionParams = z.strictObject({ version: z.string().regex(VERSION) });
const tarballQuery = z.strictObject({
  gateway: z.string().min(1).max(128),
  expires: z
    .string()
    .regex(/^\d{1,15}$/)
    .transform(Number),
  sig: z.string().max(128),
});
const gatewayId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/);
const rolloutBody = z
  .strictObject({
    gateways: z.array(gatewayId).min(1).max(10_000).optional(),
    group: gatewayId.optional(),
    percent: z.number().int().min(1).max(100).default(100),
  })
  .refine((b) => b.gateways === undefined || b.group === undefined, { message: 'gateways or group, not both' });

export async function registerReleaseRoutes(app: FastifyInstance, o: ReleaseRoutesOptions): Promise<void> {
  app.get('/v1/releases/:version/tarball', async (request, reply) => {
    const { version } = parseQuery(versionParams, request.params);
    const q = parseQuery(tarballQuery, request.query);
    const verdict = checkTarballUrl(o.urlKey, { version, gateway: q.gateway, expires: q.expires }, q.sig, o.clock.now());
    if (verdict !== 'ok')
      return reply
        .code(403)
        .send({ error: 'unauthenticated', message: verdict === 'expired' ? 'this URL has expired' : 'not a valid tarball URL' } satisfies ApiErrorBody);
    const release = await o.store.release(version);
    if (release === undefined) return reply.code(404).send({ error: 'not_found', message: `no release ${version}` } satisfies ApiErrorBody);
    const range = parseRange(request.headers.range, release.size);
    reply.header('accept-ranges', 'bytes').header('content-type', 'application/gzip').header('cache-control', 'no-store');
    if (range.kind === 'unsatisfiable') return reply.code(416).header('content-range', `bytes */${release.size}`).send();
    const file = o.service.tarballPath(version, release.file);
    if (range.kind === 'whole') return reply.code(200).header('content-length', release.size).send(createReadStream(file));
    return reply
      .code(206)
      .header('content-range', `bytes ${range.start}-${range.end}/${release.size}`)
      .header('content-length', range.end - range.start + 1)
      .send(createReadStream(file, { start: range.start, end: range.end }));
  });

  await app.register(async (scope) => {
    scope.get('/v1/releases', o.guard.route('releases.read'), async () => o.service.overview());

    scope.post('/v1/releases/:version/rollout', o.guard.route('releases.rollout'), async (request, reply) => {
      const { version } = parseQuery(versionParams, request.params);
      const body = parseQuery(rolloutBody, request.body ?? {});
      const principal = principalOf(request);
      const actor = principal.name;
      try {
        const targets: RolloutTarget[] =
          body.gateways !== undefined
            ? body.gateways.map((id) => ({ kind: 'gateway', id }))
            : [body.group === undefined ? { kind: 'all' } : { kind: 'group', id: body.group }];
        const ids = await Promise.all(targets.map((t) => o.service.rollout(version, t, body.percent, actor)));
        // A platform matter: audited without an organization, like the CLI's (cli/relay-release.ts).
        await o.auditor?.record(principal, 'release.rollout', version, { rollouts: ids, targets, percent: body.percent }, null);
        return { rollouts: ids, actor };
      } catch (err) {
        if (isReleasesError(err)) return reply.code(404).send({ error: 'not_found', message: err.message } satisfies ApiErrorBody);
        throw err;
      }
    });
  });
}
