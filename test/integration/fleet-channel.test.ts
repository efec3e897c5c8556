/**
 * The fleet channel end to end on a real relay (port 0, SQLite in a temp dir) and the agent's
 * FleetClient: parts on both sides meet (issue 16), forged and replayed polls are refused with
 * nothing stored.
 */
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FleetClient } from '../../agent/fleet/client.ts';
import type { FleetPart } from '../../agent/fleet/part.ts';
import type { FleetRelayPart } from '../../cloud/fleet/part.ts';
import { systemClock } from '../../protocols/clock.ts';
import { encodePoll } from '../../protocols/fleet/codec.ts';
import { FLEET_POLL_PATH, type FleetPoll } from '../../protocols/fleet/types.ts';
import { RESPONSE_SIGNATURE_HEADERS, verifyResponse } from '../../protocols/sync/response-signature.ts';
import { newGatewaySecret, newNonce, SIGNATURE_HEADERS, secretBytes, signRequest } from '../../protocols/sync/signature.ts';
import { SAMPLE_HEALTH as HEALTH } from '../helpers/health-report.ts';
import { testLogger } from '../helpers/logger.ts';
import { get, startTestRelay, type TestRelay } from './relay-setup.ts';

/** A relay part that remembers what it saw and answers each gateway with its id and a counter. */
class EchoRelayPart implements FleetRelayPart {
  readonly name = 'echo';
  readonly reports: Array<{ gateway: string; report: unknown }> = [];
  async onReport(gateway: string, report: unknown): Promise<void> {
    this.reports.push({ gateway, report });
  }
  async answer(gateway: string): Promise<unknown> {
    return { to: gateway, seen: this.reports.length };
  }
}

function signedPoll(
  gateway: string,
  secret: string,
  poll: FleetPoll,
  nonce = newNonce(),
  timestamp = Date.now(),
): { headers: Record<string, string>; body: Buffer; nonce: string } {
  const body = encodePoll(poll);
  const signature = signRequest({ method: 'POST', path: FLEET_POLL_PATH, timestamp, nonce, body, secret: secretBytes(secret) });
  return {
    body,
    nonce,
    headers: {
      'content-type': 'application/octet-stream',
      [SIGNATURE_HEADERS.gateway]: gateway,
      [SIGNATURE_HEADERS.timestamp]: String(timestamp),
      [SIGNATURE_HEADERS.nonce]: nonce,
      [SIGNATURE_HEADERS.signature]: signature,
    },
  };
}

async function post(url: string, p: { headers: Record<string, string>; body: Buffer }) {
  const res = await request(`${url}${FLEET_POLL_PATH}`, { method: 'POST', headers: p.headers, body: p.body });
  return { status: res.statusCode, headers: res.headers, body: Buffer.from(await res.body.arrayBuffer()) };
}

describe('fleet channel', () => {
  let t: TestRelay;
  const relayPart = new EchoRelayPart();
  let secret: string;

  beforeAll(async () => {
    t = await startTestRelay({ fleetParts: [relayPart] });
    secret = await t.addGateway('gw-fleet');
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('carries a part report to the relay and its signed answer back to the agent part', async () => {
    const applied: unknown[] = [];
    const agentPart: FleetPart = { name: 'echo', report: () => ({ hello: 1 }), apply: async (a) => void applied.push(a) };
    const client = new FleetClient({
      url: t.url,
      gatewayId: 'gw-fleet',
      secret: secretBytes(secret),
      intervalMs: 60_000,
      timeoutMs: 5_000,
      clock: systemClock,
      logger: testLogger(),
      health: () => HEALTH,
    });
    client.register(agentPart);
    client.start();
    try {
      await client.pollNow();
      expect(client.status()).toMatchObject({ polls: 1, failures: 0, rejectedAnswers: 0, lastError: null });
      expect(relayPart.reports.at(-1)).toEqual({ gateway: 'gw-fleet', report: { hello: 1 } });
      expect(applied).toEqual([{ to: 'gw-fleet', seen: relayPart.reports.length }]);
      const detail = await get(t.url, '/v1/fleet/gw-fleet', t.token);
      expect(detail.status).toBe(200);
      expect(detail.body).toMatchObject({ id: 'gw-fleet', online: true, version: '1.2.3', polls: 1, health: HEALTH });
      expect(detail.body['history']).toHaveLength(1);
    } finally {
      await client.stop();
    }
  });

  it('signs its answer for the nonce of the poll', async () => {
    const poll = signedPoll('gw-fleet', secret, { v: 1, parts: {} });
    const res = await post(t.url, poll);
    expect(res.status).toBe(200);
    const timestamp = Number(res.headers[RESPONSE_SIGNATURE_HEADERS.timestamp]);
    const signature = String(res.headers[RESPONSE_SIGNATURE_HEADERS.signature]);
    const check = (requestNonce: string) =>
      verifyResponse({ path: FLEET_POLL_PATH, requestNonce, timestamp, status: 200, body: res.body, secret: secretBytes(secret), signature });
    expect(check(poll.nonce)).toBe(true);
    expect(check(newNonce())).toBe(false);
  });

  it('refuses a forged poll, a poll of an unknown gateway, a stale and a replayed one (401), storing nothing', async () => {
    const before = await get(t.url, '/v1/fleet/gw-fleet', t.token);
    const seen = relayPart.reports.length;
    const health = { ...HEALTH, version: '6.6.6' };
    const forged = signedPoll('gw-fleet', newGatewaySecret(), { v: 1, health, parts: { echo: 'forged' } });
    expect((await post(t.url, forged)).status).toBe(401);
    const unknown = signedPoll('gw-nobody', newGatewaySecret(), { v: 1, health, parts: { echo: 'unknown' } });
    expect((await post(t.url, unknown)).status).toBe(401);

    // Signed by the gateway, but ten minutes old (ingest.skewMs is 5 min).
    const stale = signedPoll('gw-fleet', secret, { v: 1, health, parts: { echo: 'stale' } }, newNonce(), Date.now() - 600_000);
    const staleAnswer = await post(t.url, stale);
    expect(staleAnswer.status).toBe(401);
    expect(JSON.parse(staleAnswer.body.toString())).toMatchObject({ error: 'stale' });

    const genuine = signedPoll('gw-fleet', secret, { v: 1, parts: { echo: 'once' } });
    expect((await post(t.url, genuine)).status).toBe(200);
    const replay = await post(t.url, genuine);
    expect(replay.status).toBe(401);
    expect(JSON.parse(replay.body.toString())).toMatchObject({ error: 'replayed' });
    expect(replay.headers[RESPONSE_SIGNATURE_HEADERS.signature]).toBeUndefined();

    const after = await get(t.url, '/v1/fleet/gw-fleet', t.token);
    expect(after.body['polls']).toBe((before.body['polls'] as number) + 1);
    expect(after.body['version']).toBe('1.2.3');
    expect(relayPart.reports.slice(seen).map((r) => r.report)).toEqual(['once']);
  });

  it('refuses a malformed poll (400) after authenticating it', async () => {
    const bad = signedPoll('gw-fleet', secret, { v: 2, parts: {} } as unknown as FleetPoll);
    const res = await post(t.url, bad);
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body.toString())).toMatchObject({ error: 'malformed' });
  });

  it('lists every provisioned gateway, online or not', async () => {
    await t.addGateway('gw-silent');
    const res = await get(t.url, '/v1/fleet', t.token);
    expect(res.status).toBe(200);
    const rows = res.body['gateways'] as Array<Record<string, unknown>>;
    expect(rows.find((r) => r['id'] === 'gw-fleet')).toMatchObject({ online: true, version: '1.2.3', flags: [] });
    expect(rows.find((r) => r['id'] === 'gw-silent')).toMatchObject({ online: false, lastSeenAt: null, version: null });
    expect((await get(t.url, '/v1/fleet', null)).status).toBe(401);
    expect((await get(t.url, '/v1/fleet/gw-unknown', t.token)).status).toBe(404);
  });

  it('exposes each gateway’s health to Prometheus', async () => {
    const res = await request(`${t.url}/metrics`, { headers: { authorization: `Bearer ${t.token}` } });
    const text = await res.body.text();
    expect(text).toContain('atalaya_relay_fleet_gateways{state="online"} 1');
    expect(text).toContain('atalaya_relay_fleet_gateways{state="offline"} 1');
    expect(text).toContain('atalaya_relay_fleet_gateway_online{gateway="gw-fleet"} 1');
    expect(text).toContain('atalaya_relay_fleet_gateway_cpu_temperature_celsius{gateway="gw-fleet"} 48.5');
    expect(text).toContain('atalaya_relay_fleet_gateway_device_links_up{gateway="gw-fleet"} 1');
    expect(text).toContain('atalaya_relay_fleet_gateway_info{gateway="gw-fleet",version="1.2.3",config_version=""} 1');
  });
});
