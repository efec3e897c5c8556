import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseRelayConfig } from '../../cloud/config/load.ts';
import { hashApiToken, newApiToken } from '../../cloud/http/auth.ts';
import { Relay } from '../../cloud/main.ts';
import { newRelayKey } from '../../cloud/secrets.ts';
import { CONFIG_INVALID } from '../../protocols/errors.ts';
import { testLogger } from '../helpers/logger.ts';
import { FakeClock, Receiver, TestWebhookChannel, alarmRecord, raised } from './alerts-setup.ts';

let dir: string;
let receiver: Receiver;
let relay: Relay;
let clock: FakeClock;
const token = newApiToken();
let url: string;

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atalaya-alerts-http-'));
  receiver = new Receiver();
  const hook = await receiver.start();
  clock = new FakeClock();
  const config = parseRelayConfig({
    listen: { host: '127.0.0.1', port: 0 },
    storage: { kind: 'sqlite', path: path.join(dir, 'relay.db') },
    apiTokens: [hashApiToken(token)],
    alerts: {
      enabled: true,
      ackLinkBaseUrl: 'http://placeholder.invalid',
      ackLinkTtlHours: 1,
      silentAfterMinutes: 0,
      groups: { guardia: { members: [{ name: 'ana', webhook: `${hook}/guardia` }] }, jefes: { members: [{ name: 'luis', webhook: `${hook}/jefes` }] } },
      rules: [{ name: 'gas', groups: ['guardia'], escalation: ['jefes'], escalateAfterMinutes: 10 }],
    },
  });
  relay = new Relay(config, { logger: testLogger(), clock, env: { ATALAYA_RELAY_KEY: newRelayKey() }, anchorSchedule: false, alertsSchedule: false, notifyChannels: new Map([['webhook', new TestWebhookChannel()]]) });
  await relay.start();
  url = `http://127.0.0.1:${relay.address.port}`;
  await relay.store.addGateway('gw-1', 'x', clock.now());
});

afterEach(async () => {
  await relay.stop();
  await receiver.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

const api = (p: string, init: RequestInit = {}) => fetch(`${url}${p}`, { ...init, headers: { authorization: `Bearer ${token}`, ...(init.headers ?? {}) } });

async function waitFor<T>(fn: () => T | undefined, ms = 5000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setImmediate(r));
  }
}

async function openAlarm(): Promise<string> {
  await relay.store.ingest({ gateway: 'gw-1', records: [alarmRecord('gw-1', 1, raised())], now: clock.now(), clockOffsetMs: 0 });
  await relay.alerts!.pass();
  const got = await waitFor(() => receiver.to('/guardia')[0]);
  return got.body.ackUrl!.replace('http://placeholder.invalid', url);
}

describe('alerts over HTTP', () => {
  it('lists open alerts with their deliveries; the ack link shows a page on GET and acknowledges only on POST', async () => {
    const link = await openAlarm();
    const list = (await (await api('/v1/alerts?state=open')).json()) as { alerts: Array<{ id: string; deliveries: Record<string, number> }> };
    expect(list.alerts.map((a) => a.id)).toEqual(['alarm:gw-1:det-1:ch4:high2:1']);
    expect(list.alerts[0]!.deliveries).toEqual({ sent: 1 });
    expect((await fetch(`${url}/v1/alerts`)).status).toBe(401);

    const page = await fetch(link);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<form method="post"');
    const id = encodeURIComponent('alarm:gw-1:det-1:ch4:high2:1');
    expect(((await (await api(`/v1/alerts/${id}`)).json()) as { alert: { ackedAt: number | null } }).alert.ackedAt).toBeNull();

    const t = new URL(link).searchParams.get('t')!;
    const post = await fetch(`${url}/v1/alerts/ack`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ t }).toString() });
    expect(post.status).toBe(200);
    const one = (await (await api(`/v1/alerts/${id}`)).json()) as { alert: { ackedBy: string }; deliveries: Array<{ outcome: string }> };
    expect(one.alert.ackedBy).toBe('link:guardia/ana');
    expect(one.deliveries.map((d) => d.outcome)).toEqual(['sent', 'queued']);

    clock.advance(30 * 60_000);
    await relay.alerts!.pass();
    expect(receiver.to('/jefes')).toHaveLength(0);
  });

  it('refuses a forged link (403) and an expired one (410) and changes nothing', async () => {
    const link = await openAlarm();
    const t = new URL(link).searchParams.get('t')!;
    const [payload] = t.split('.');
    const forged = `${payload}.${'A'.repeat(43)}`;
    const post = (tok: string) => fetch(`${url}/v1/alerts/ack`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ t: tok }).toString() });
    expect((await post(forged)).status).toBe(403);
    expect((await fetch(`${url}/v1/alerts/ack?t=${forged}`)).status).toBe(403);
    clock.advance(3_600_001);
    expect((await post(t)).status).toBe(410);
    const id = encodeURIComponent('alarm:gw-1:det-1:ch4:high2:1');
    expect(((await (await api(`/v1/alerts/${id}`)).json()) as { alert: { ackedAt: number | null } }).alert.ackedAt).toBeNull();
  });

  it('counts deliveries and open alerts in /metrics', async () => {
    await openAlarm();
    // The receiver counts the message before the relay has recorded its answer: poll.
    let text = '';
    const end = Date.now() + 5000;
    while (!/alert_deliveries_total\{channel="webhook",outcome="sent"\}/.test(text) && Date.now() < end) text = await (await api('/metrics')).text();
    expect(text).toMatch(/^atalaya_relay_alert_deliveries_total\{channel="webhook",outcome="sent"\} 1$/m);
    expect(text).toMatch(/^atalaya_relay_alerts_open\{kind="alarm",severity="alarm"\} 1$/m);
  });

  it('acknowledges with an operator token', async () => {
    await openAlarm();
    const id = encodeURIComponent('alarm:gw-1:det-1:ch4:high2:1');
    const res = await api(`/v1/alerts/${id}/ack`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ by: 'marta' }) });
    expect(((await res.json()) as { result: string; alert: { ackedBy: string } })).toMatchObject({ result: 'acked', alert: { ackedBy: 'operator:marta' } });
    expect((await api(`/v1/alerts/${encodeURIComponent('nope')}/ack`, { method: 'POST' })).status).toBe(404);
  });
});

describe('alerts config', () => {
  it('reports invalid addresses, phones, URLs and unknown groups with their paths', () => {
    const bad = {
      alerts: {
        groups: { g: { members: [{ name: 'a', email: 'not-an-address', phone: '0912', webhook: 'ftp://x' }] } },
        rules: [{ name: 'r', groups: ['nobody'] }],
        quietHours: { timeZone: 'Mars/Base', from: '25:00', to: '07:00' },
      },
    };
    let problems: Array<{ path: string }> = [];
    try {
      parseRelayConfig(bad);
    } catch (err) {
      expect((err as { code: string }).code).toBe(CONFIG_INVALID);
      problems = (err as { problems: Array<{ path: string }> }).problems;
    }
    expect(problems.map((p) => p.path).sort()).toEqual(
      ['alerts.groups.g.members[0].email', 'alerts.groups.g.members[0].phone', 'alerts.groups.g.members[0].webhook', 'alerts.quietHours.from', 'alerts.quietHours.timeZone', 'alerts.rules[0].groups[0]'].sort(),
    );
  });
});
