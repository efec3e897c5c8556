import { afterEach, describe, expect, it } from 'vitest';
import type { Agent } from '../../agent/main.ts';
import { MODBUS_EXCEPTION } from '../../agent/modbus/errors.ts';
import type { StoredRecord } from '../../protocols/records.ts';
import { waitFor } from '../helpers/wait.ts';
import { type Bench, startAgent, startBench } from './agent-setup.ts';
import { jumpClock } from './status-clock.ts';
import { api, openEvents, type SseStream, STATUS_TOKEN, statusSection, statusUrl } from './status-setup.ts';

const GAS = { ch4: 4.2, h2s: 1.5, co: 12, o2: 20.8 };
const FLOW = { flow: 12.5, waterColumnM: 35.25, totalizerM3: 1000, sensorDepthM: 60 };

interface Channel {
  channel: string;
  value: number | null;
  quality: string;
  unit: string;
  ageMs: number;
}
interface Device {
  id: string;
  transport: string;
  address: string;
  health: { state: string; successRate: number | null } | null;
  channels: Channel[];
}

describe('status server on a running agent (Modbus TCP simulator)', () => {
  let bench: Bench | undefined;
  let agent: Agent | undefined;
  let stream: SseStream | undefined;
  afterEach(async () => {
    stream?.close();
    await agent?.stop();
    await bench?.close();
    agent = bench = stream = undefined;
  });

  async function start(devices: Parameters<typeof startBench>[1], agentDevices: (b: Bench) => Array<Record<string, unknown>>): Promise<Agent> {
    bench = await startBench('tcp', devices);
    agent = await startAgent(bench, agentDevices(bench), { status: statusSection });
    return agent;
  }

  it("lists devices with values near the simulator's, and the inspector decodes its float in the right word order", async () => {
    const a = await start(
      [
        { unitId: 1, kind: 'gas-detector', scenario: 'steady', params: GAS },
        { unitId: 2, kind: 'flowmeter', scenario: 'steady', params: FLOW },
      ],
      (b) => [
        { id: 'gas', profile: 'gas-detector', intervalMs: 100, ...b.at(1) },
        { id: 'flow', profile: 'flowmeter', intervalMs: 100, params: { sensorDepthM: 60 }, ...b.at(2) },
      ],
    );
    const devices = await waitFor(async () => {
      const r = await api<{ devices: Device[] }>(a, '/api/devices');
      const good = (d: Device | undefined, ch: string) => d?.channels.find((c) => c.channel === ch)?.quality === 'good';
      return good(r.body.devices[0], 'ch4') && good(r.body.devices[1], 'flow') && r.body.devices;
    }, 'good readings on /api/devices');
    expect(devices.map((d) => [d.id, d.transport, d.address])).toEqual([
      ['gas', 'tcp', `127.0.0.1:${bench!.sim.tcpPort}`],
      ['flow', 'tcp', `127.0.0.1:${bench!.sim.tcpPort}`],
    ]);
    const value = (d: Device, ch: string) => d.channels.find((c) => c.channel === ch)!;
    expect(value(devices[0]!, 'ch4').value).toBeCloseTo(4.2, 1);
    expect(value(devices[0]!, 'o2')).toMatchObject({ unit: '%vol' });
    expect(value(devices[0]!, 'o2').value).toBeCloseTo(20.8, 1);
    expect(value(devices[1]!, 'flow').value).toBeCloseTo(12.5, 3);
    expect(value(devices[1]!, 'level').value).toBeCloseTo(60 - 35.25, 3);
    expect(devices[1]!.health).toMatchObject({ state: 'ok', successRate: 1 });

    // Flowmeter: flow float32 CDAB at holding 0-1, water column at 8-9 (protocols/profiles/flowmeter.ts).
    const r = await api<{ registers: number[]; rows: Array<{ address: number; float32: Record<string, number> | null }> }>(a, '/api/inspect', {
      device: 'flow',
      table: 'holding',
      address: 0,
      count: 11,
    });
    expect(r.status).toBe(200);
    expect(r.body.registers).toHaveLength(11);
    expect(r.body.rows[0]!.float32!['CDAB']).toBeCloseTo(12.5, 5);
    expect(r.body.rows[0]!.float32!['ABCD']).not.toBeCloseTo(12.5, 1);
    expect(r.body.rows[8]).toMatchObject({ address: 8 });
    expect(r.body.rows[8]!.float32!['CDAB']).toBeCloseTo(35.25, 5);
    expect(r.body.rows[10]!.float32).toBeNull();

    const series = await api<{ unit: string; points: Array<[number, number]> }>(a, '/api/series?device=flow&channel=flow');
    expect(series.body.unit).toBe('L/s');
    expect(series.body.points.length).toBeGreaterThan(0);
    expect(series.body.points.at(-1)![1]).toBeCloseTo(12.5, 3);

    const metrics = await api<string>(a, '/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.body).toMatch(/atalaya_modbus_polls_total\{device="flow",result="ok"\} [1-9]/);
    const overview = await api<{ gateway: { id: string }; buffer: { lastSeq: number } }>(a, '/api/overview');
    expect(overview.body.gateway.id).toBe('gw-test');
    expect(overview.body.buffer.lastSeq).toBeGreaterThan(0);
  });

  it('streams committed records over SSE to a logged-in page and ends the stream when the agent stops', async () => {
    const a = await start([{ unitId: 1, kind: 'flowmeter', scenario: 'steady', params: FLOW }], (b) => [
      { id: 'flow', profile: 'flowmeter', intervalMs: 100, params: { sensorDepthM: 60 }, ...b.at(1) },
    ]);
    const login = await fetch(`${statusUrl(a)}/api/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: STATUS_TOKEN }),
    });
    expect(login.status).toBe(204);
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    const s = (stream = await openEvents(a, { cookie }));
    expect(s.status).toBe(200);
    expect(s.contentType).toContain('text/event-stream');
    const records = await waitFor(
      () =>
        s.events.find(
          (e) => e.event === 'records' && (e.data as StoredRecord[]).some((r) => r.device === 'flow' && r.channel === 'flow' && r.quality === 'good'),
        ),
      'a records event with a flow reading',
    );
    const flow = (records.data as StoredRecord[]).find((r) => r.channel === 'flow')!;
    expect(flow.value).toBeCloseTo(12.5, 3);
    expect(flow.seq).toBeGreaterThan(0);
    expect(s.events.find((e) => e.event === 'alarms')!.data).toEqual({ active: [] });
    // The first overview is built asynchronously (statfs): it may come after the first records.
    const overview = await waitFor(() => s.events.find((e) => e.event === 'overview'), 'the initial overview event');
    expect(overview.data).toMatchObject({ gateway: { id: 'gw-test' } });

    const refused = await openEvents(a, { cookie: 'atalaya_status=ats_nope' });
    expect(refused.status).toBe(401);
    refused.close();

    await a.stop();
    await s.ended;
  });

  it('acknowledges an alarm raised by a gas leak: the alarm flips to acknowledged and the page is told', async () => {
    const clock = jumpClock();
    bench = await startBench('tcp', [{ unitId: 1, kind: 'gas-detector', scenario: 'gas-leak' }], 19200, clock);
    const a = (agent = await startAgent(bench, [{ id: 'gas', profile: 'gas-detector', intervalMs: 50, ...bench.at(1) }], { status: statusSection }));
    await waitFor(() => a.buffer.latest().some((r) => r.channel === 'ch4'), 'first reading');
    const s = (stream = await openEvents(a, { authorization: `Bearer ${STATUS_TOKEN}` }));
    type Active = { device: string; channel: string; rule: string; state: string };
    clock.jumpTo(75); // CH4 at its 30 %LEL plateau: high1 (warning) and high2 (alarm) raised
    await waitFor(
      async () => (await api<{ active: Active[] }>(a, '/api/alarms')).body.active.some((x) => x.rule === 'high1' && x.state === 'raised'),
      'high1 raised',
    );

    const ack = await api(a, '/api/alarms/ack', { device: 'gas', channel: 'ch4', rule: 'high1' });
    expect(ack).toEqual({ status: 200, body: { acknowledged: true } });
    const alarms = await api<{ active: Active[]; recent: StoredRecord[] }>(a, '/api/alarms');
    expect(alarms.body.active.find((x) => x.rule === 'high1')).toMatchObject({ device: 'gas', channel: 'ch4', state: 'acknowledged' });
    expect(alarms.body.active.find((x) => x.rule === 'high2')).toMatchObject({ state: 'raised' });
    await waitFor(
      () => s.events.some((e) => e.event === 'alarms' && (e.data as { active: Active[] }).active.some((x) => x.rule === 'high1' && x.state === 'acknowledged')),
      'alarms event with high1 acknowledged',
    );
    await waitFor(
      async () => (await api<{ recent: StoredRecord[] }>(a, '/api/alarms')).body.recent[0]?.alarm?.state === 'acknowledged',
      'acknowledgement record among the recent alarms',
    );

    const again = await api(a, '/api/alarms/ack', { device: 'gas', channel: 'ch4', rule: 'high1' });
    expect(again.status).toBe(404);
    expect(again.body).toMatchObject({ error: 'not_found' });
  });

  it("answers 502 with the Modbus exception code when the device refuses the inspector's read", async () => {
    const a = await start([{ unitId: 1, kind: 'gas-detector', scenario: 'steady', params: GAS, faults: { exception: { code: 2 } } }], (b) => [
      { id: 'gas', profile: 'gas-detector', intervalMs: 200, ...b.at(1) },
    ]);
    const r = await api(a, '/api/inspect', { device: 'gas', table: 'input', address: 0, count: 4 });
    expect(r.status).toBe(502);
    expect(r.body).toMatchObject({ error: 'modbus_error', code: MODBUS_EXCEPTION, exception: 2 });
  });
});
