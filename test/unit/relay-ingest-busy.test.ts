/** A full decode budget (ingest.maxDecodeBytesInFlight) is a 503 with Retry-After, counted as busy: the gateway retries. */
import pino from 'pino';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { parseRelayConfig } from '../../cloud/config/load.ts';
import { registerIngestRoute } from '../../cloud/http/ingest-route.ts';
import { buildHttpServer } from '../../cloud/http/server.ts';
import { BUSY_RETRY_AFTER_S, IngestBusy } from '../../cloud/ingest/errors.ts';
import type { Ingestor } from '../../cloud/ingest/ingest.ts';
import { registerIngestMetrics } from '../../cloud/metrics/ingest.ts';

describe('POST /v1/ingest while the decode budget is full', () => {
  it('answers 503 unavailable with Retry-After and counts the request as busy', async () => {
    const config = parseRelayConfig({});
    const app = buildHttpServer({ listen: config.listen, logger: pino({ level: 'silent' }), clock: { now: () => Date.now(), monotonic: () => 0 } });
    const ingestor = { limits: config.ingest, handle: async () => Promise.reject(new IngestBusy(1, 1)) } as unknown as Ingestor;
    const registry = new Registry();
    await registerIngestRoute(app, ingestor, config.ingest.maxBodyBytes, registerIngestMetrics(registry));
    try {
      const res = await app.inject({ method: 'POST', url: '/v1/ingest', headers: { 'content-type': 'application/octet-stream' }, payload: Buffer.from('x') });
      expect(res.statusCode).toBe(503);
      expect(res.headers['retry-after']).toBe(String(BUSY_RETRY_AFTER_S));
      expect(res.json()).toMatchObject({ error: 'unavailable' });
      expect(await registry.metrics()).toMatch(/^atalaya_relay_ingest_requests_total\{outcome="busy"\} 1$/m);
    } finally {
      await app.close();
    }
  });
});
