import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { buildHttpServer } from '../../cloud/http/server.ts';

describe('relay HTTP Date header', () => {
  it('comes from the relay clock, the one signatures are checked against', async () => {
    const at = Date.UTC(2031, 4, 6, 7, 8, 9);
    const app = buildHttpServer({
      listen: { host: '127.0.0.1', port: 0, trustProxy: false, requestTimeoutMs: 120_000, maxConnections: 1024, maxConnectionsPerAddress: 64 },
      logger: pino({ level: 'silent' }),
      clock: { now: () => at, monotonic: () => 0 },
    });
    app.get('/x', async () => ({ ok: true }));
    try {
      const res = await app.inject({ method: 'GET', url: '/x' });
      expect(res.statusCode).toBe(200);
      expect(res.headers['date']).toBe('Tue, 06 May 2031 07:08:09 GMT');
      expect(res.json()).toEqual({ ok: true });
    } finally {
      await app.close();
    }
  });
});
