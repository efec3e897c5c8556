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
import { header, SmtpSink } from '../helpers/smtp-sink.ts';
import { alarmRecord, cleared, FakeClock, Receiver, raised } from './alerts-setup.ts';

let dir: string;
let receiver: Receiver;
let relay: Relay;
let clock: FakeClock;
let sink: SmtpSink;
const SECRET = 'webhook-secret-for-tests';
const token = newApiToken();
let url: string;

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atalaya-alerts-http-'));
  receiver = new Receiver();
  receiver.secret = SECRET;
  const hook = await receiver.start();
  clock = new FakeClock();
  receiver.now = () => clock.now();
  sink = await SmtpSink.start({ dir });
  const config = parseRelayConfig({
    listen: { host: '127.0.0.1', port: 0 },
    storage: { kind: 'sqlite', path: path.join(dir, 'relay.db') },
    apiTokens: [hashApiToken(token)],
    alerts: {
      enabled: true,
      ackLinkBaseUrl: 'http://placeholder.invalid',
      ackLinkTtlHours: 1,
      silentAfterMinutes: 0,
      channels: { email: { host: '127.0.0.1', port: sink.port, security: 'none', from: 'atalaya@relay.example.cl' }, webhook: {} },
      groups: {
        guardia: { members: [{ name: 'ana', email: 'ana@example.cl', webhook: `${hook}/guardia` }] },
        jefes: { members: [{ name: 'luis', webhook: `${hook}/jefes` }] },
        sur: { members: [{ name: 'eva', email: 'eva@example.cl', webhook: `${hook}/sur` }] },
      },
      rules: [
        { name: 'gas', subjects: ['gw-1/*'], groups: ['guardia'], escalation: ['jefes'], escalateAfterMinutes: 10 },
        { name: 'south', subjects: ['gw-sur/*'], groups: ['sur'] },
      ],
    },
  });
  relay = new Relay(config, {
    logger: testLogger(),
    clock,
    env: { ATALAYA_RELAY_KEY: newRelayKey(), ATALAYA_WEBHOOK_SECRET: SECRET },
    anchorSchedule: false,
    alertsSchedule: false,
  });
  await relay.start();
  url = `http://127.0.0.1:${relay.address.port}`;
  await relay.store.addGateway('gw-1', 'x', clock.now());
});

afterEach(async () => {
  await relay?.stop();
  await receiver?.stop();
  await sink?.stop();
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
  it('a gas alarm gives exactly one email and one signed webhook per transition to the matching group, none to the other', async () => {
    await openAlarm();
    await waitFor(() => (sink.mails.length >= 1 ? true : undefined));
    await relay.store.ingest({ gateway: 'gw-1', records: [alarmRecord('gw-1', 2, cleared())], now: clock.now(), clockOffsetMs: 0 });
    await relay.alerts!.pass();
    await waitFor(() => (sink.mails.length >= 2 && receiver.to('/guardia').length >= 2 ? true : undefined));
    // Nothing else is on its way: every message of the alert is sent.
    const end = Date.now() + 5000;
    let deliveries: Record<string, number> = {};
    while (Date.now() < end) {
      const list = (await (await api('/v1/alerts?state=all')).json()) as { alerts: Array<{ deliveries: Record<string, number> }> };
      deliveries = list.alerts[0]?.deliveries ?? {};
      if (deliveries['sent'] === 4) break;
    }
    expect(deliveries).toEqual({ sent: 4 });
    expect(receiver.to('/guardia').map((r) => r.body.facts['message'])).toEqual(['opened', 'closed']);
    expect(sink.mails.map((m) => m.to)).toEqual([['ana@example.cl'], ['ana@example.cl']]);
    expect(new Set(sink.mails.map((m) => header(m.raw, 'Message-ID'))).size).toBe(2);
    expect(receiver.to('/sur')).toHaveLength(0);
    expect(receiver.to('/jefes')).toHaveLength(0);
  });

  it('lists open alerts with their deliveries; the ack link shows a page on GET and acknowledges only on POST', async () => {
    const link = await openAlarm();
    let list: { alerts: Array<{ id: string; deliveries: Record<string, number> }> } = { alerts: [] };
    const end = Date.now() + 5000;
    do list = (await (await api('/v1/alerts?state=open')).json()) as typeof list;
    while (list.alerts[0]?.deliveries['sent'] !== 2 && Date.now() < end);
    expect(list.alerts.map((a) => a.id)).toEqual(['alarm:gw-1:det-1:ch4:high2:1']);
    expect(list.alerts[0]!.deliveries).toEqual({ sent: 2 });
    expect((await fetch(`${url}/v1/alerts`)).status).toBe(401);

    const page = await fetch(link);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<form method="post"');
    const id = encodeURIComponent('alarm:gw-1:det-1:ch4:high2:1');
    expect(((await (await api(`/v1/alerts/${id}`)).json()) as { alert: { ackedAt: number | null } }).alert.ackedAt).toBeNull();

    const t = new URL(link).searchParams.get('t')!;
    const post = await fetch(`${url}/v1/alerts/ack`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ t }).toString(),
    });
    expect(post.status).toBe(200);
    const one = (await (await api(`/v1/alerts/${id}`)).json()) as { alert: { ackedBy: string }; deliveries: Array<{ outcome: string }> };
    expect(one.alert.ackedBy).toBe('link:guardia/ana');
    expect(one.deliveries.map((d) => d.outcome).sort()).toEqual(['queued', 'queued', 'sent', 'sent']);

    clock.advance(30 * 60_000);
    await relay.alerts!.pass();
    expect(receiver.to('/jefes')).toHaveLength(0);
  });

  it('refuses a forged link (403) and an expired one (410) and changes nothing', async () => {
    const link = await openAlarm();
    const t = new URL(link).searchParams.get('t')!;
    const [payload] = t.split('.');
    const forged = `${payload}.${'A'.repeat(43)}`;
    const post = (tok: string) =>
      fetch(`${url}/v1/alerts/ack`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ t: tok }).toString(),
      });
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

  it('pages the list by (openedAt, id): alerts opened in the same millisecond are each listed once', async () => {
    const records = [1, 2, 3, 4, 5].map((seq) => alarmRecord('gw-1', seq, raised('alarm', `r${seq}`)));
    await relay.store.ingest({ gateway: 'gw-1', records, now: clock.now(), clockOffsetMs: 0 });
    await relay.alerts!.pass();
    const seen: string[] = [];
    let next: string | null = null;
    do {
      const q: string = next === null ? '' : `&before=${encodeURIComponent(next)}`;
      const page = (await (await api(`/v1/alerts?state=all&limit=2${q}`)).json()) as { alerts: Array<{ id: string }>; next: string | null };
      seen.push(...page.alerts.map((a) => a.id));
      next = page.next;
    } while (next !== null);
    expect(seen.sort()).toEqual([1, 2, 3, 4, 5].map((seq) => `alarm:gw-1:det-1:ch4:r${seq}:${seq}`).sort());
    expect((await api('/v1/alerts?before=nope')).status).toBe(400);
  });

  it('acknowledges with an operator token', async () => {
    await openAlarm();
    const id = encodeURIComponent('alarm:gw-1:det-1:ch4:high2:1');
    const res = await api(`/v1/alerts/${id}/ack`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ by: 'marta' }) });
    expect((await res.json()) as { result: string; alert: { ackedBy: string } }).toMatchObject({
      result: 'acked',
      alert: { ackedBy: expect.stringMatching(/^token-[0-9a-f]{8} for marta$/) },
    });
    expect((await api(`/v1/alerts/${encodeURIComponent('nope')}/ack`, { method: 'POST' })).status).toBe(404);
  });
});

describe('alerts config', () => {
  it('reports invalid addresses, phones, URLs, unknown groups and unconfigured channels with their paths', () => {
    const bad = {
      alerts: {
        channels: { email: { host: 'smtp.example.cl', from: 'atalaya@example.cl' } },
        groups: {
          g: { members: [{ name: 'a', email: 'not-an-address', phone: '0912', webhook: 'ftp://x' }] },
          h: { members: [{ name: 'b', webhook: 'https://hooks.example.cl/x' }] },
        },
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
    expect([...new Set(problems.map((p) => p.path))].sort()).toEqual(
      [
        'alerts.groups.h.members[0].webhook',
        'alerts.groups.g.members[0].email',
        'alerts.groups.g.members[0].phone',
        'alerts.groups.g.members[0].webhook',
        'alerts.quietHours.from',
        'alerts.quietHours.timeZone',
        'alerts.rules[0].groups[0]',
      ].sort(),
    );
  });
});
