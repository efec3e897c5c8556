/**
 * Issue 16 §3: an ack given on the relay reaches the gateway. Acknowledging the alert of a gateway's
 * alarm (API here; the CLI and the email link go through the same AlertService.ack) queues the
 * alarm.ack command for that gateway, audited with who acknowledged.
 */
import { request } from 'undici';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { alarmRecord, FakeClock, raised } from './alerts-setup.ts';
import { startTestRelay, type TestRelay } from './relay-setup.ts';

let t: TestRelay;
const clock = new FakeClock();

beforeAll(async () => {
  t = await startTestRelay({ clock, alerts: { enabled: true, ackLinkBaseUrl: 'http://placeholder.invalid', silentAfterMinutes: 0 } });
  await t.relay.store.addGateway('gw-1', 'x', clock.now());
});
afterAll(async () => {
  await t?.stop();
});

// biome-ignore lint/suspicious/noExplicitAny: a JSON answer of the relay API, read loosely by the test
async function call(method: 'GET' | 'POST', url: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await request(`${t.url}${url}`, {
    method,
    headers: { authorization: `Bearer ${t.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.statusCode, body: await res.body.json() };
}

it('acknowledging a gateway alarm’s alert queues alarm.ack for that gateway, once', async () => {
  await t.relay.store.ingest({ gateway: 'gw-1', records: [alarmRecord('gw-1', 1, raised())], now: clock.now(), clockOffsetMs: 0 });
  await t.relay.alerts!.pass();
  const alerts = (await call('GET', '/v1/alerts')).body.alerts as Array<{ id: string; kind: string }>;
  const alert = alerts.find((a) => a.kind === 'alarm');
  expect(alert).toBeDefined();
  expect((await call('POST', `/v1/alerts/${encodeURIComponent(alert!.id)}/ack`, { by: 'ana' })).status).toBe(200);
  expect((await call('POST', `/v1/alerts/${encodeURIComponent(alert!.id)}/ack`, {})).body.result).toBe('already');
  const commands = (await call('GET', '/v1/gateways/gw-1/commands')).body.commands;
  expect(commands).toEqual([
    expect.objectContaining({
      kind: 'alarm.ack',
      args: { device: 'det-1', channel: 'ch4', rule: raised().rule, by: expect.stringContaining('ana') },
      createdBy: expect.stringMatching(/^alert-ack:token-.* for ana$/),
      state: 'pending',
    }),
  ]);
  // The queued command is in the gateway's organization's audit, made by whoever acknowledged (issue 15 §4).
  expect(await t.relay.auditor.query({ action: 'gateway.command', limit: 10 })).toEqual([
    expect.objectContaining({
      actor: expect.stringMatching(/^token-.* for ana$/),
      orgId: 'default',
      target: 'gw-1',
      details: { command: commands[0].id, kind: 'alarm.ack', args: commands[0].args, alert: alert!.id },
    }),
  ]);
});
