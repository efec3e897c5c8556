import type { FastifyInstance } from 'fastify';
import type { Guard } from '../http/auth.ts';
import type { RelayMetrics } from './index.ts';

export interface MetricsRouteOptions {
  readonly metrics: RelayMetrics;
  /** The metrics name every organization's gateways and obras: the platform owner's (permission metrics.read). */
  readonly guard: Guard;
}

/**
 * GET /metrics: the Prometheus text exposition (format 0.0.4). Prometheus sends the token with
 * `authorization: { credentials_file: ... }` in its scrape config (deploy/grafana/README.md).
 */
export async function registerMetricsRoute(app: FastifyInstance, options: MetricsRouteOptions): Promise<void> {
  const { registry } = options.metrics;
  await app.register(async (scope) => {
    scope.get('/metrics', options.guard.route('metrics.read'), async (_request, reply) => {
      const text = await registry.metrics();
      return reply.header('cache-control', 'no-store').type(registry.contentType).send(text);
    });
  });
}
