import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { slotDir, VOLUME_GRANULARITIES } from '../../protocols/dga/index.ts';
import { volumesCsv } from '../dga/csv.ts';
import type { DgaEngine } from '../dga/engine.ts';
import { DGA_UNKNOWN_OBRA, isRelayDgaError } from '../dga/errors.ts';
import type { EvidenceBuilder } from '../dga/evidence.ts';
import type { VolumeService } from '../dga/volumes.ts';
import type { Auditor } from '../identity/audit.ts';
import type { Guard } from './auth.ts';
import { registerReviewRoutes } from './dga-review-routes.ts';
import type { ApiErrorBody } from './errors.ts';
import { obraScope } from './org-obras.ts';
import type { OrgOfGateway } from './org-scope.ts';
import { instant, parseQuery } from './query.ts';

export interface DgaRoutesOptions {
  readonly engine: DgaEngine;
  /** Extracted volumes; the volumes routes answer 404 without it. */
  readonly volumes?: VolumeService;
  /** Inspection evidence packs; the evidence route answers 404 without it. */
  readonly evidence?: EvidenceBuilder;
  /** Authentication and permissions (auth.ts): dga.read, dga.review, dga.evidence. */
  readonly guard: Guard;
  /** Records each review action (cloud/identity/audit.ts); none: only the DGA audit has it. */
  readonly auditor?: Auditor;
  /** A gateway's organization (issue 15): an obra is its gateway's. Without it, only the owner sees obras. */
  readonly orgOfGateway?: OrgOfGateway;
}

/** Longest range of one volumes request: 20 years of days. */
const MAX_RANGE_MS = 20 * 366 * 86_400_000;

const volumesQuerySchema = z
  .strictObject({
    from: instant.describe('Start of the range: epoch ms or ISO 8601 with an offset'),
    to: instant.describe('End of the range (exclusive)'),
    granularity: z.enum(VOLUME_GRANULARITIES).default('day'),
  })
  .refine((q) => q.from < q.to, { message: 'from must be before to', path: ['from'] })
  .refine((q) => q.to - q.from <= MAX_RANGE_MS, { message: 'at most 20 years per request', path: ['to'] });

/** Longest period of one evidence pack: a year and a day. */
const MAX_EVIDENCE_MS = 367 * 86_400_000;

const evidenceQuerySchema = z
  .strictObject({ from: instant, to: instant })
  .refine((q) => q.from < q.to, { message: 'from must be before to', path: ['from'] })
  .refine((q) => q.to - q.from <= MAX_EVIDENCE_MS, { message: 'at most 367 days per pack', path: ['to'] });

/**
 * DGA reporting status behind the guard (dga.read; the evidence pack dga.evidence): `GET /v1/dga` (every obra: last accepted slot,
 * queued, late, refusals and missing slots with their reasons) and `GET /v1/dga/<obra>` (the same
 * for one obra, with its latest slots). The same information as `atalaya relay dga status`.
 * `GET /v1/dga/<obra>/volumes?from=&to=&granularity=day|month|year` (JSON) and `…/volumes.csv`:
 * extracted volumes on DGA's UTC-4 calendar with the share of the annual water right (cloud/dga/volumes.ts).
 * `GET /v1/dga/<obra>/exceedances?from=&to=` (at most 367 days): the water-right exceedances
 * overlapping the range, the event source alerting polls (cloud/dga/volumes.ts).
 * `GET /v1/dga/<obra>/evidence.zip?from=&to=`: the inspection evidence pack of the slots in [from, to)
 * (cloud/dga/evidence.ts), its manifest's sha256 in the `x-manifest-sha256` header.
 */
export async function registerDgaRoutes(app: FastifyInstance, options: DgaRoutesOptions): Promise<void> {
  const { engine, volumes, evidence, guard } = options;
  const read = guard.route('dga.read');
  const obras = obraScope(engine.config.obras, options.orgOfGateway ?? (async () => undefined));
  await app.register(async (scope) => {
    scope.get('/v1/dga', read, async (request) => {
      const visible = await obras.visible(request);
      return { obras: (await engine.status()).filter((s) => visible(s.obra)) };
    });
    registerReviewRoutes(scope, engine, guard, options.auditor, obras);

    scope.get<{ Params: { obra: string } }>('/v1/dga/:obra', read, async (request, reply) => {
      await obras.assert(request, request.params.obra);
      try {
        return await engine.detail(request.params.obra);
      } catch (err) {
        if (!isRelayDgaError(err, DGA_UNKNOWN_OBRA)) throw err;
        return reply.code(404).send({ error: 'not_found', message: err.message } satisfies ApiErrorBody);
      }
    });

    for (const format of ['json', 'csv'] as const) {
      scope.get<{ Params: { obra: string } }>(`/v1/dga/:obra/volumes${format === 'csv' ? '.csv' : ''}`, read, async (request, reply) => {
        const query = parseQuery(volumesQuerySchema, request.query);
        await obras.assert(request, request.params.obra);
        if (volumes === undefined)
          return reply.code(404).send({ error: 'not_found', message: 'volumes are not available on this relay' } satisfies ApiErrorBody);
        try {
          const result = await volumes.volumes(request.params.obra, query);
          if (format === 'json') return result;
          return reply
            .type('text/csv; charset=utf-8')
            .header('content-disposition', `attachment; filename="${result.obra}-volumes-${query.granularity}.csv"`)
            .send(volumesCsv(result));
        } catch (err) {
          if (!isRelayDgaError(err, DGA_UNKNOWN_OBRA)) throw err;
          return reply.code(404).send({ error: 'not_found', message: err.message } satisfies ApiErrorBody);
        }
      });
    }

    scope.get<{ Params: { obra: string } }>('/v1/dga/:obra/exceedances', read, async (request, reply) => {
      const query = parseQuery(evidenceQuerySchema, request.query);
      await obras.assert(request, request.params.obra);
      if (volumes === undefined) return reply.code(404).send({ error: 'not_found', message: 'volumes are not available on this relay' } satisfies ApiErrorBody);
      try {
        const found = await volumes.exceedances(request.params.obra, query.from, query.to);
        const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());
        return { obra: request.params.obra, exceedances: found.map((e) => ({ ...e, from: iso(e.from), to: iso(e.to) })) };
      } catch (err) {
        if (!isRelayDgaError(err, DGA_UNKNOWN_OBRA)) throw err;
        return reply.code(404).send({ error: 'not_found', message: err.message } satisfies ApiErrorBody);
      }
    });

    scope.get<{ Params: { obra: string } }>('/v1/dga/:obra/evidence.zip', guard.route('dga.evidence'), async (request, reply) => {
      const query = parseQuery(evidenceQuerySchema, request.query);
      await obras.assert(request, request.params.obra);
      if (evidence === undefined)
        return reply.code(404).send({ error: 'not_found', message: 'evidence packs are not available on this relay' } satisfies ApiErrorBody);
      try {
        const pack = await evidence.build(request.params.obra, query.from, query.to);
        return reply
          .type('application/zip')
          .header('content-disposition', `attachment; filename="${request.params.obra}-evidence-${slotDir(query.from)}-${slotDir(query.to)}.zip"`)
          .header('x-manifest-sha256', pack.manifestSha256)
          .send(Buffer.from(pack.zip));
      } catch (err) {
        if (!isRelayDgaError(err, DGA_UNKNOWN_OBRA)) throw err;
        return reply.code(404).send({ error: 'not_found', message: err.message } satisfies ApiErrorBody);
      }
    });
  });
}
