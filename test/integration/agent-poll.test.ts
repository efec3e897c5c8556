import { afterEach, describe, expect, it } from 'vitest';
import type { Agent } from '../../agent/main.ts';
import { BUILTIN_PROFILES } from '../../protocols/profiles/index.ts';
import type { StoredRecord } from '../../protocols/records.ts';
import { waitFor } from '../helpers/wait.ts';
import { type Bench, startAgent, startBench, type Transport } from './agent-setup.ts';

const GAS = { ch4: 4.2, h2s: 1.5, co: 12, o2: 20.8 };
const FLOW = { flow: 12.5, waterColumnM: 35.25, totalizerM3: 1000, sensorDepthM: 60 };

function latest(agent: Agent): Map<string, StoredRecord> {
  return new Map(agent.buffer.latest().map((r) => [`${r.device}/${r.channel}`, r]));
}

describe.each<Transport>(['tcp', 'rtu'])('agent polls simulated devices over %s', (transport) => {
  let bench: Bench | undefined;
  let agent: Agent | undefined;
  afterEach(async () => {
    await agent?.stop();
    await bench?.close();
    agent = bench = undefined;
  });

  it('stores every channel with values matching the simulator within resolution', async () => {
    bench = await startBench(transport, [
      { unitId: 1, kind: 'gas-detector', scenario: 'steady', params: GAS },
      { unitId: 2, kind: 'flowmeter', scenario: 'steady', params: FLOW },
      { unitId: 3, kind: 'flowmeter', scenario: 'steady', params: { ...FLOW, totalizerM3: 5_000_000.125 } },
    ]);
    const b = bench;
    agent = await startAgent(b, [
      { id: 'gas', profile: 'gas-detector', intervalMs: 100, ...b.at(1) },
      { id: 'flow', profile: 'flowmeter', intervalMs: 100, params: { sensorDepthM: 60 }, ...b.at(2) },
      { id: 'flow64', profile: 'flowmeter-t64', intervalMs: 100, params: { sensorDepthM: 60 }, ...b.at(3) },
    ]);
    const a = agent;
    const got = await waitFor(() => {
      const l = latest(a);
      return ['gas/ch4', 'flow/level', 'flow64/totalizer'].every((k) => l.get(k)?.quality === 'good') && l;
    }, 'good readings of all devices');

    const gasProfile = BUILTIN_PROFILES.get('gas-detector')!;
    for (const c of gasProfile.channels) {
      const r = got.get(`gas/${c.key}`)!;
      expect(r.unit).toBe(c.unit);
      expect(Math.abs(r.value! - GAS[c.key as keyof typeof GAS])).toBeLessThanOrEqual(c.resolution);
    }
    expect(got.get('gas/alarm_1')).toMatchObject({ value: 0, quality: 'good' });
    expect(got.get('flow/flow')!.value).toBeCloseTo(12.5, 3);
    expect(got.get('flow/water_column')!.value).toBeCloseTo(35.25, 3);
    expect(got.get('flow/level')!.value).toBeCloseTo(60 - 35.25, 3);

    // The totalizer integrates 12.5 L/s: what the agent read lies between the start value and now.
    const now32 = b.sim.device(2)!.values()['totalizer']!;
    const t32 = got.get('flow/totalizer')!.value!;
    expect(t32).toBeGreaterThanOrEqual(1000 - 0.1);
    expect(t32).toBeLessThanOrEqual(now32 + 0.1);
    const now64 = b.sim.device(3)!.values()['totalizer']!;
    const t64 = got.get('flow64/totalizer')!.value!;
    expect(t64).toBeGreaterThanOrEqual(5_000_000.125 - 0.001);
    expect(t64).toBeLessThanOrEqual(now64 + 0.001);

    const stored = a.buffer.readAfter(0, 100_000);
    const seqs = stored.map((r) => r.seq);
    expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
    expect(new Set(seqs).size).toBe(seqs.length);
    expect(stored.every((r) => r.bootId.length > 0 && r.ts > 0 && r.mono > 0)).toBe(true);
  });

  it('records exception answers with their code and keeps polling', async () => {
    bench = await startBench(transport, [
      { unitId: 1, kind: 'gas-detector', scenario: 'steady', params: GAS, faults: { exception: { code: 2 } } },
      { unitId: 2, kind: 'flowmeter', scenario: 'steady', params: FLOW },
    ]);
    const b = bench;
    agent = await startAgent(b, [
      { id: 'gas', profile: 'gas-detector', intervalMs: 100, ...b.at(1) },
      { id: 'flow', profile: 'flowmeter', intervalMs: 100, params: { sensorDepthM: 60 }, ...b.at(2) },
    ]);
    const a = agent;
    const l = await waitFor(() => {
      const m = latest(a);
      return m.get('gas/ch4') !== undefined && m.get('flow/flow')?.quality === 'good' && m;
    }, 'readings');
    expect(l.get('gas/ch4')).toMatchObject({ value: null, quality: 'exception', exception: 2 });
    // An exception is an answer: the device is alive and is not backed off.
    const gas = a.poller.devices.find((d) => d.id === 'gas')!;
    await waitFor(() => gas.health.polls >= 4, 'several polls');
    expect(gas.health.state).toBe('ok');
  });
});
