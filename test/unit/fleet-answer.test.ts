/**
 * The agent accepts a fleet answer only with the relay's signature for the poll it has just sent
 * (issue 16 §5): a real HTTP server on port 0 stands for the relay and answers each poll unsigned,
 * signed with another key, signed for another nonce, for another path, with a body changed
 * after signing, or correctly. Only the last reaches the part.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FleetClient } from '../../agent/fleet/client.ts';
import { healthChangeKey } from '../../agent/fleet/health.ts';
import { registerFleetMetrics } from '../../agent/fleet/metrics.ts';
import { systemClock } from '../../protocols/clock.ts';
import { decodePoll, encodeAnswer } from '../../protocols/fleet/codec.ts';
import type { HealthReport } from '../../protocols/fleet/health.ts';
import { FLEET_POLL_PATH } from '../../protocols/fleet/types.ts';
import { RESPONSE_SIGNATURE_HEADERS, signResponse } from '../../protocols/sync/response-signature.ts';
import { newGatewaySecret, newNonce, SIGNATURE_HEADERS, secretBytes, verifyRequest } from '../../protocols/sync/signature.ts';
import { testLogger } from '../helpers/logger.ts';

type Mode = 'unsigned' | 'other-key' | 'other-nonce' | 'other-path' | 'tampered' | 'bad-timestamp' | 'error-status' | 'good';

const secret = newGatewaySecret();
const key = secretBytes(secret);

describe('fleet answer signature', () => {
  let server: Server;
  let url: string;
  let mode: Mode = 'good';
  let verifiedPolls = 0;
  /** Whether each poll carried a health report. */
  const withHealth: boolean[] = [];

  beforeAll(async () => {
    server = createServer((req: IncomingMessage, res: ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        const nonce = String(req.headers[SIGNATURE_HEADERS.nonce]);
        const timestamp = Number(req.headers[SIGNATURE_HEADERS.timestamp]);
        const signature = String(req.headers[SIGNATURE_HEADERS.signature]);
        if (verifyRequest({ method: 'POST', path: FLEET_POLL_PATH, timestamp, nonce, body, secret: key, signature })) verifiedPolls++;
        withHealth.push(decodePoll(body, 65_536).health !== undefined);
        const answer = encodeAnswer({ v: 1, now: Date.now(), parts: { probe: { mode } } });
        const at = Date.now();
        const sign = (o: { secret?: Uint8Array; nonce?: string; path?: string }) =>
          signResponse({ path: o.path ?? FLEET_POLL_PATH, requestNonce: o.nonce ?? nonce, timestamp: at, status: 200, body: answer, secret: o.secret ?? key });
        const headers: Record<string, string> = { 'content-type': 'application/json', [RESPONSE_SIGNATURE_HEADERS.timestamp]: String(at) };
        let sent = answer;
        switch (mode) {
          case 'unsigned':
            delete headers[RESPONSE_SIGNATURE_HEADERS.timestamp];
            break;
          case 'other-key':
            headers[RESPONSE_SIGNATURE_HEADERS.signature] = sign({ secret: secretBytes(newGatewaySecret()) });
            break;
          case 'other-nonce':
            headers[RESPONSE_SIGNATURE_HEADERS.signature] = sign({ nonce: newNonce() });
            break;
          case 'other-path':
            headers[RESPONSE_SIGNATURE_HEADERS.signature] = sign({ path: '/v1/ingest' });
            break;
          case 'tampered':
            headers[RESPONSE_SIGNATURE_HEADERS.signature] = sign({});
            sent = encodeAnswer({ v: 1, now: Date.now(), parts: { probe: { mode: 'forged' } } });
            break;
          case 'bad-timestamp':
            headers[RESPONSE_SIGNATURE_HEADERS.signature] = sign({});
            headers[RESPONSE_SIGNATURE_HEADERS.timestamp] = String(at + 1);
            break;
          case 'error-status':
            res.writeHead(503, headers).end(answer);
            return;
          case 'good':
            headers[RESPONSE_SIGNATURE_HEADERS.signature] = sign({});
            break;
        }
        res.writeHead(200, headers).end(sent);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it('applies only a correctly signed answer, counting every other one', async () => {
    const applied: unknown[] = [];
    const client = new FleetClient({
      url,
      gatewayId: 'gw-1',
      secret: key,
      intervalMs: 3_600_000,
      timeoutMs: 5_000,
      clock: systemClock,
      logger: testLogger(),
    });
    client.register({ name: 'probe', report: () => 'here', apply: async (a) => void applied.push(a) });
    client.start();
    try {
      const rejected: Mode[] = ['unsigned', 'other-key', 'other-nonce', 'other-path', 'tampered', 'bad-timestamp'];
      for (const m of rejected) {
        mode = m;
        await client.pollNow();
      }
      expect(applied).toEqual([]);
      expect(client.status()).toMatchObject({ rejectedAnswers: rejected.length, failures: rejected.length, lastError: 'unsigned', lastAnswerAt: null });

      mode = 'error-status';
      await client.pollNow();
      expect(client.status()).toMatchObject({ rejectedAnswers: rejected.length, lastError: 'status' });

      mode = 'good';
      await client.pollNow();
      expect(applied).toEqual([{ mode: 'good' }]);
      expect(client.status()).toMatchObject({ lastError: null, polls: rejected.length + 2 });
      expect(client.status().lastAnswerAt).not.toBeNull();
      // Every poll was signed with the gateway's key, each with a fresh nonce.
      expect(verifiedPolls).toBe(rejected.length + 2);
      // The counts reach the agent's /metrics.
      const registry = new Registry();
      registerFleetMetrics(registry, () => client.status());
      const text = await registry.metrics();
      expect(text).toContain(`atalaya_fleet_polls_total ${rejected.length + 2}`);
      expect(text).toContain(`atalaya_fleet_poll_failures_total ${rejected.length + 1}`);
      expect(text).toContain(`atalaya_fleet_rejected_answers_total ${rejected.length}`);
    } finally {
      await client.stop();
    }
  });

  it('sends the health report with the first poll, then when due or changed, and again after a failed poll', async () => {
    let mono = 0;
    const clock = { now: () => Date.now(), monotonic: () => mono };
    let health: HealthReport = {
      version: '1.2.3',
      uptimeS: 1,
      bootId: 'boot',
      clock: { synced: true, offsetMs: 0 },
      buffer: { depth: 0, bytes: 0, oldestTs: null, evicted: { ordinary: 0, dga: 0, alarm: 0 }, writable: true },
      devices: [{ id: 'gas', state: 'ok', ok: 1 }],
      brokerClients: null,
      cpuTempC: null,
      memory: { rssBytes: 1, availableBytes: 1 },
      disk: null,
      configVersion: null,
    };
    const client = new FleetClient({
      url,
      gatewayId: 'gw-1',
      secret: key,
      intervalMs: 3_600_000,
      healthIntervalMs: 300_000,
      healthKey: healthChangeKey,
      timeoutMs: 5_000,
      clock,
      logger: testLogger(),
      health: () => health,
    });
    client.start();
    try {
      mode = 'good';
      withHealth.length = 0;
      await client.pollNow(); // first: with
      mono += 60_000;
      health = { ...health, uptimeS: 61, buffer: { ...health.buffer, depth: 5 } };
      await client.pollNow(); // drift only: without
      health = { ...health, devices: [{ id: 'gas', state: 'backoff', ok: 0.5 }] };
      await client.pollNow(); // a device went down: with, at once
      mode = 'unsigned';
      mono += 300_000;
      await client.pollNow(); // due: with, but not answered
      mode = 'good';
      await client.pollNow(); // so again: with
      mono += 60_000;
      await client.pollNow(); // delivered a minute ago: without
      expect(withHealth).toEqual([true, false, true, true, true, false]);
    } finally {
      await client.stop();
    }
  });
});
