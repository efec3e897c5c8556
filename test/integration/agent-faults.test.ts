import { mkdirSync, rmSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import type { Agent } from '../../agent/main.ts';
import { MODBUS_BAD_FRAME } from '../../agent/modbus/errors.ts';
import { systemClock } from '../../protocols/clock.ts';
import { ModbusSimulator } from '../../simulators/modbus/simulator.ts';
import { openPtyPair } from '../../simulators/pty.ts';
import { testLogger } from '../helpers/logger.ts';
import { waitFor } from '../helpers/wait.ts';
import { type Bench, startAgent, startBench } from './agent-setup.ts';

const GAS = { ch4: 4.2, h2s: 1.5, co: 12, o2: 20.8 };
const FLOW = { flow: 12.5, waterColumnM: 35.25, totalizerM3: 1000, sensorDepthM: 60 };
const backoff = { failuresBeforeBackoff: 2, initialMs: 500, maxMs: 1000 };

function latestOf(agent: Agent, device: string, channel: string) {
  return agent.buffer.latest().find((r) => r.device === device && r.channel === channel);
}

describe('agent under faults', () => {
  let bench: Bench | undefined;
  let agent: Agent | undefined;
  const extra: Array<{ stop(): Promise<void> } | { close(): Promise<void> }> = [];
  afterEach(async () => {
    await agent?.stop();
    await bench?.close();
    for (const e of extra.splice(0)) await ('stop' in e ? e.stop() : e.close());
    agent = bench = undefined;
  });

  it('backs off a silent device so its line-mate keeps polling, and recovers when it answers again', async () => {
    bench = await startBench('rtu', [
      { unitId: 1, kind: 'gas-detector', scenario: 'steady', params: GAS },
      { unitId: 2, kind: 'flowmeter', scenario: 'steady', params: FLOW, faults: { drop: { probability: 1 } } },
    ]);
    const b = bench;
    agent = await startAgent(
      b,
      [
        { id: 'gas', profile: 'gas-detector', intervalMs: 50, ...b.at(1) },
        { id: 'flow', profile: 'flowmeter', intervalMs: 50, params: { sensorDepthM: 60 }, ...b.at(2) },
      ],
      { backoff },
    );
    const a = agent;
    const gas = a.poller.devices.find((d) => d.id === 'gas')!;
    const flow = a.poller.devices.find((d) => d.id === 'flow')!;
    await waitFor(() => flow.health.state === 'backoff', 'flow meter backed off');
    expect(latestOf(a, 'flow', 'flow')).toMatchObject({ value: null, quality: 'comm_error' });

    const gasPolls0 = gas.health.polls;
    const flowRequests0 = b.sim.requestCount(2);
    await waitFor(() => gas.health.polls >= gasPolls0 + 40, '40 more polls of the gas detector');
    const flowRequests = b.sim.requestCount(2) - flowRequests0;
    // Without back-off the silent unit would get at least one request per gas poll (each costing
    // a 200 ms timeout); backed off it only gets a probe every 0.5–1 s.
    expect(flowRequests * 5).toBeLessThanOrEqual(40);
    expect(gas.health.state).toBe('ok');

    b.sim.setFaults(2, undefined);
    await waitFor(() => latestOf(a, 'flow', 'flow')?.quality === 'good', 'flow meter good again');
    expect(flow.health.state).toBe('ok');
  });

  it('reconnects to a Modbus TCP device that went away and came back on the same port', async () => {
    bench = await startBench('tcp', [{ unitId: 1, kind: 'gas-detector', scenario: 'steady', params: GAS }]);
    const b = bench;
    agent = await startAgent(b, [{ id: 'gas', profile: 'gas-detector', intervalMs: 50, ...b.at(1) }], { backoff });
    const a = agent;
    await waitFor(() => latestOf(a, 'gas', 'ch4')?.quality === 'good', 'first good reading');
    const port = b.sim.tcpPort!;
    await b.sim.stop();
    await waitFor(() => latestOf(a, 'gas', 'ch4')?.quality === 'comm_error', 'comm_error while the device is gone');
    const again = new ModbusSimulator({
      devices: [{ unitId: 1, kind: 'gas-detector', scenario: 'steady', params: { ...GAS, ch4: 7.7 } }],
      tcp: { host: '127.0.0.1', port },
      clock: systemClock,
      logger: testLogger(),
    });
    extra.push(again);
    await again.start();
    await waitFor(() => latestOf(a, 'gas', 'ch4')?.value === 7.7, 'readings from the returned device', 20_000);
  });

  it('reopens a serial line whose adapter was unplugged and plugged back', async () => {
    bench = await startBench('rtu', [{ unitId: 1, kind: 'gas-detector', scenario: 'steady', params: GAS }]);
    const b = bench;
    agent = await startAgent(b, [{ id: 'gas', profile: 'gas-detector', intervalMs: 50, ...b.at(1) }], { backoff });
    const a = agent;
    await waitFor(() => latestOf(a, 'gas', 'ch4')?.quality === 'good', 'first good reading');
    // "Unplug": the pseudo-terminal pair disappears under the agent.
    await b.close();
    await waitFor(() => latestOf(a, 'gas', 'ch4')?.quality === 'comm_error', 'comm_error while unplugged');
    const link = [...a.poller.links.values()][0]!;
    expect(link.stats.connected).toBe(false);
    // "Plug back": the same device path appears again with the device behind it.
    mkdirSync(b.dir, { recursive: true });
    const pty = await openPtyPair(b.dir);
    extra.push(pty, { close: async () => rmSync(b.dir, { recursive: true, force: true }) });
    const sim = new ModbusSimulator({
      devices: [{ unitId: 1, kind: 'gas-detector', scenario: 'steady', params: { ...GAS, ch4: 9.9 } }],
      serial: { path: pty.b, baudRate: 19200, parity: 'none', dataBits: 8, stopBits: 1 },
      clock: systemClock,
      logger: testLogger(),
    });
    extra.unshift(sim);
    await sim.start();
    await waitFor(() => latestOf(a, 'gas', 'ch4')?.value === 9.9, 'readings after re-plugging', 20_000);
    expect(link.stats.opens).toBeGreaterThanOrEqual(2);
    bench = undefined; // already closed
  });

  it('counts corrupted answers on the line and keeps the good ones', async () => {
    bench = await startBench('rtu', [{ unitId: 1, kind: 'gas-detector', scenario: 'steady', params: GAS, faults: { badCrc: { probability: 0.3 } } }]);
    const b = bench;
    agent = await startAgent(b, [{ id: 'gas', profile: 'gas-detector', intervalMs: 50, retries: 0, ...b.at(1) }], {
      backoff: { failuresBeforeBackoff: 100, initialMs: 500, maxMs: 1000 },
    });
    const a = agent;
    const link = [...a.poller.links.values()][0]!;
    await waitFor(() => (link.stats.errors[MODBUS_BAD_FRAME] ?? 0) >= 3 && link.stats.transactions >= 20, 'several corrupted answers');
    const good = a.buffer.readAfter(0, 100_000).filter((r) => r.channel === 'ch4' && r.quality === 'good');
    expect(good.length).toBeGreaterThan(0);
    expect(good.every((r) => r.value === 4.2)).toBe(true);
  });
});
