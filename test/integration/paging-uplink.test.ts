/**
 * Issue 13 §7: with the uplink cut, a gas alarm is paged by the gateway itself through the
 * (simulated) cellular modem within afterMs; a warning never is; once the uplink is back, the
 * relay holds the `paged` record and pagedLocally() finds it, so the relay does not page again.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../agent/config/load.ts';
import { Agent } from '../../agent/main.ts';
import { hashStatusToken, newStatusToken } from '../../agent/status/auth.ts';
import { pagedLocally } from '../../cloud/store/paged-locally.ts';
import { systemClock } from '../../protocols/clock.ts';
import { ModbusSimulator } from '../../simulators/modbus/simulator.ts';
import { ModemSimulator } from '../../simulators/modem/simulator.ts';
import { FaultProxy } from '../../simulators/net/fault-proxy.ts';
import { NotifySimulator } from '../../simulators/notify/simulator.ts';
import { testLogger } from '../helpers/logger.ts';
import { openPtyPair, type PtyPair } from '../helpers/pty.ts';
import { waitFor } from '../helpers/wait.ts';
import { startTestRelay, type TestRelay } from './relay-setup.ts';

const GATEWAY = 'gw-page';
const AFTER_MS = 2000;
/** The pager looks every second; a loaded machine adds the rest. */
const TOLERANCE_MS = 8000;

interface Rig {
  dir: string;
  pty: PtyPair;
  modem: ModemSimulator;
  sim: ModbusSimulator;
  relay: TestRelay;
  proxy: FaultProxy;
  secret: string;
}

let rig: Rig | undefined;
let agent: Agent | undefined;

async function startRig(ch4: number): Promise<Rig> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atalaya-paging-'));
  const pty = await openPtyPair(dir);
  const modem = new ModemSimulator({ path: pty.b, logger: testLogger() });
  await modem.start();
  const sim = new ModbusSimulator({
    devices: [{ unitId: 1, kind: 'gas-detector', scenario: 'steady', params: { ch4 } }],
    tcp: { host: '127.0.0.1', port: 0 },
    clock: systemClock,
    logger: testLogger(),
    seed: 1,
  });
  await sim.start();
  const relay = await startTestRelay();
  const secret = await relay.addGateway(GATEWAY);
  const proxy = new FaultProxy({ target: relay.relay.address.port });
  await proxy.start();
  proxy.setMode('cut');
  return { dir, pty, modem, sim, relay, proxy, secret };
}

function makeAgent(r: Rig, status: Record<string, unknown> = { enabled: false }, paging: Record<string, unknown> = {}): Agent {
  const config = parseConfig({
    gateway: { id: GATEWAY },
    buffer: { path: path.join(r.dir, 'buffer.db'), commitIntervalMs: 20 },
    devices: [{ id: 'gas-1', profile: 'gas-detector', intervalMs: 200, tcp: { host: '127.0.0.1', port: r.sim.tcpPort!, timeoutMs: 500 }, unitId: 1 }],
    mqtt: { enabled: false },
    status,
    sync: { url: `http://127.0.0.1:${r.proxy.port}`, idleMs: 200, timeoutMs: 2000, backoff: { initialMs: 100, maxMs: 500 } },
    paging: {
      enabled: true,
      afterMs: AFTER_MS,
      recipients: [{ name: 'guardia', phone: '+56911111111' }],
      channels: { modem: { path: r.pty.a, commandTimeoutMs: 1000, sendTimeoutMs: 3000, reopenMs: 200 } },
      retry: { firstMs: 200, maxMs: 1000, attempts: 20 },
      ...paging,
    },
  });
  return new Agent(config, { logger: testLogger(), env: { ATALAYA_GATEWAY_SECRET: r.secret } });
}

afterEach(async () => {
  const r = rig;
  await agent?.stop();
  agent = rig = undefined;
  if (r === undefined) return;
  await r.proxy.stop();
  await r.relay.stop();
  await r.sim.stop();
  await r.modem.stop();
  await r.pty.close();
  fs.rmSync(r.dir, { recursive: true, force: true });
});

describe('local paging while the uplink is down', () => {
  it('pages a CH4 alarm once through the modem within afterMs, never the warning, and the relay learns it was paged', async () => {
    rig = await startRig(25);
    const r = rig;
    const a = (agent = makeAgent(r));
    await a.start();
    const raised = await waitFor(() => a.buffer.alarmStates().find((s) => s.rule === 'high2' && s.state === 'raised'), 'CH4 high2 raised');
    expect(a.buffer.alarmStates().find((s) => s.rule === 'high1')).toMatchObject({ level: 'warning', state: 'raised' });

    const sms = await waitFor(() => r.modem.messages[0], 'an SMS', AFTER_MS + TOLERANCE_MS);
    expect(sms.at - raised.ts).toBeGreaterThanOrEqual(AFTER_MS - 50);
    expect(sms.at - raised.ts).toBeLessThan(AFTER_MS + TOLERANCE_MS);
    expect(sms.number).toBe('+56911111111');
    expect(sms.text).toContain('ALARM gas-1 ch4');
    await waitFor(() => a.pager!.status().lastPage?.seq === raised.seq, 'the page noted');
    // The warning (high1) was raised too, and is never paged: one SMS, and it stays one.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(r.modem.messages).toHaveLength(1);
    expect(a.pager!.status().sent).toEqual({ modem: 1 });

    r.proxy.setMode('pass');
    const note = await waitFor(
      () => pagedLocally(r.relay.relay.store, { gateway: GATEWAY, device: 'gas-1', channel: 'ch4', rule: 'high2', seq: raised.seq, since: raised.ts }),
      'the paged record at the relay',
      20_000,
      100,
    );
    expect(note).toMatchObject({ kind: 'alarm', value: raised.seq, unit: 'modem', alarm: { rule: 'high2', level: 'alarm', state: 'paged', threshold: null } });
    // The warning's transition has no note.
    const warning = (await r.relay.relay.store.queryRecords({ gateway: GATEWAY, kind: 'alarm', limit: 100 })).items.find(
      (x) => x.alarm?.rule === 'high1' && x.alarm.state === 'raised',
    );
    expect(warning).toBeDefined();
    expect(
      await pagedLocally(r.relay.relay.store, { gateway: GATEWAY, device: 'gas-1', channel: 'ch4', rule: 'high1', seq: warning!.seq, since: warning!.ts }),
    ).toBeUndefined();
    // The alarm state is not moved by the note.
    expect(a.buffer.alarmStates().find((s) => s.rule === 'high2')).toMatchObject({ state: 'raised', seq: raised.seq });
    expect(r.modem.messages).toHaveLength(1);
  });

  it('an alarm the relay acknowledged in time is not paged', async () => {
    rig = await startRig(25);
    const r = rig;
    r.proxy.setMode('pass');
    const a = (agent = makeAgent(r));
    await a.start();
    const raised = await waitFor(() => a.buffer.alarmStates().find((s) => s.rule === 'high2' && s.state === 'raised'), 'CH4 high2 raised');
    await waitFor(() => !a.buffer.readAfter(raised.seq - 1, 1, 'alarm').some((x) => x.seq === raised.seq), 'the relay acknowledged the raise');
    await new Promise((resolve) => setTimeout(resolve, AFTER_MS + 2500));
    expect(r.modem.messages).toEqual([]);
    expect(a.pager!.status()).toMatchObject({ pending: 0, lastPage: null });
  });

  it('a warning alone never pages', async () => {
    rig = await startRig(15);
    const r = rig;
    const a = (agent = makeAgent(r));
    await a.start();
    await waitFor(() => a.buffer.alarmStates().find((s) => s.rule === 'high1' && s.state === 'raised'), 'CH4 high1 raised');
    await new Promise((resolve) => setTimeout(resolve, AFTER_MS + 2500));
    expect(r.modem.messages).toEqual([]);
    expect(a.pager!.status().pending).toBe(0);
  });

  it('+CMS ERROR: retried and visible in status and metrics, the agent keeps running, the SMS goes once the modem recovers', async () => {
    rig = await startRig(25);
    const r = rig;
    r.modem.faults = { cmsError: 500 };
    const token = newStatusToken();
    const a = (agent = makeAgent(r, { host: '127.0.0.1', port: 0, tokens: [hashStatusToken(token)] }));
    await a.start();
    await waitFor(() => (a.pager!.status().failed.modem ?? 0) >= 2, 'two failed attempts', AFTER_MS + TOLERANCE_MS);
    expect(a.pager!.status().lastError).toMatchObject({ code: 'ATALAYA_PAGING_SEND_REFUSED' });
    const res = await fetch(`http://127.0.0.1:${a.statusAddress!.port}/api/overview`, { headers: { authorization: `Bearer ${token}` } });
    const overview = (await res.json()) as { paging: { consecutiveFailures: number; lastError: { code: string }; channels: string[] } };
    expect(overview.paging).toMatchObject({ channels: ['modem'], lastError: { code: 'ATALAYA_PAGING_SEND_REFUSED' } });
    expect(overview.paging.consecutiveFailures).toBeGreaterThanOrEqual(2);
    expect(r.modem.messages).toEqual([]);
    const metrics = await a.metrics.registry.metrics();
    expect(metrics).toMatch(/atalaya_pages_failed_total\{channel="modem"\} [2-9]/);
    // Still polling and committing.
    const before = a.buffer.stats().lastSeq;
    await waitFor(() => a.buffer.stats().lastSeq > before, 'records still committed');

    r.modem.faults = {};
    await waitFor(() => r.modem.messages[0], 'the SMS after the modem recovered', 10_000);
    await waitFor(() => a.pager!.status().lastPage !== null, 'the page noted');
    expect(r.modem.messages).toHaveLength(1);
    expect(a.pager!.status().consecutiveFailures).toBe(0);
  });

  it('also pages through the LAN email and webhook channels of platform/notify, once each', async () => {
    rig = await startRig(25);
    const r = rig;
    const lan = new NotifySimulator({ clock: systemClock, httpPort: 0, smtpPort: 0 });
    await lan.start();
    try {
      const a = (agent = makeAgent(
        r,
        { enabled: false },
        {
          recipients: [{ name: 'guardia', phone: '+56911111111', email: 'guardia@localhost', webhook: `${lan.httpUrl}/webhook/paging` }],
          channels: {
            modem: { path: r.pty.a, commandTimeoutMs: 1000, sendTimeoutMs: 3000, reopenMs: 200 },
            email: { host: '127.0.0.1', port: lan.smtpPort, security: 'none', from: 'gw-page@localhost' },
            webhook: {},
          },
        },
      ));
      await a.start();
      await waitFor(
        () => lan.inbox.list('webhook').length > 0 && lan.inbox.list('email').length > 0 && r.modem.messages.length > 0,
        'a page on every channel',
        AFTER_MS + TOLERANCE_MS,
      );
      await waitFor(() => a.pager!.status().lastPage !== null, 'the page noted');
      expect(a.pager!.status().sent).toEqual({ modem: 1, email: 1, webhook: 1 });
      expect(lan.inbox.list('email')[0]).toMatchObject({ to: 'guardia@localhost' });
      expect(lan.inbox.list('webhook')).toHaveLength(1);
    } finally {
      await agent?.stop();
      agent = undefined;
      await lan.stop();
    }
  });
});
