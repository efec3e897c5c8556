/**
 * The status app loads Fastify's schema compilers only when a route declares a schema (issue 18
 * §1: the status routes declare none; test/integration/agent-footprint.test.ts checks a real agent
 * never loads them). A route that does declare one is still validated and serialized by them.
 */
import { describe, expect, it } from 'vitest';
import { buildStatusApp } from '../../agent/status/app.ts';
import type { StatusContext } from '../../agent/status/context.ts';
import { testLogger } from '../helpers/logger.ts';

describe('status app: schema compilers on demand', () => {
  it('validates a body and serializes a response when a route declares schemas', async () => {
    // Only the public route below runs: the status routes' handlers never read the context here.
    const app = buildStatusApp({ uiDir: '/nonexistent' } as unknown as StatusContext, testLogger());
    app.post(
      '/probe',
      {
        config: { public: true },
        schema: {
          body: { type: 'object', required: ['n'], properties: { n: { type: 'integer' } }, additionalProperties: false },
          response: { 200: { type: 'object', properties: { n: { type: 'integer' } } } },
        },
      },
      async (request) => ({ n: (request.body as { n: number }).n, notInTheSchema: true }),
    );
    try {
      const ok = await app.inject({ method: 'POST', url: '/probe', payload: { n: 7 } });
      expect(ok.statusCode).toBe(200);
      // The response schema's serializer keeps only its own properties.
      expect(ok.json()).toEqual({ n: 7 });
      const bad = await app.inject({ method: 'POST', url: '/probe', payload: { n: 'seven' } });
      expect(bad.statusCode).toBe(400);
      expect(bad.json()).toMatchObject({ error: 'bad_request' });
    } finally {
      await app.close();
    }
  });
});
