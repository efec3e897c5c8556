import type { FastifyInstance } from 'fastify';
import { type ApiTokenEntry, bearerAuth } from '../http/auth.ts';
import type { RelayMetrics } from './index.ts';

export interface MetricsRouteOptions {
  readonly metrics: RelayMetrics;
  /** sha256 (hex) of the accepted operator tokens: the metrics name gateways and obras. */
  readonly apiTokens: readonly ApiTokenEntry[];
}

/**
 * GET /metrics: the Prometheus text exposition (format 0.0.4). Prometheus sends the token with
 * `authorization: { credentials_file: ... }` in its scrape config (deploy/grafana/README.md).
 */
export async function registerMetricsRoute(app: FastifyInstance, options: MetricsRouteOptions): Promise<void> {
  const { registry } = options.metrics;
  await app.register(async (scope) => {
    scope.addHook('preHandler', bearerAuth(options.apiTokens));
    scope.get('/metrics', async (_request, reply) => {
      const text = await registry.metrics();
      return reply.header('cache-control', 'no-store').type(registry.contentType).send(text);
    });
  });
}
