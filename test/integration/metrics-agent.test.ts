import path from 'node:path';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../agent/config/load.ts';
import { profileTable } from '../../agent/config/profiles.ts';
import type { Agent } from '../../agent/main.ts';
import { createAgentMetrics } from '../../agent/metrics/index.ts';
import { MODBUS_EXCEPTION } from '../../agent/modbus/errors.ts';
import { Poller } from '../../agent/modbus/poller.ts';
import { hashStatusToken, newStatusToken } from '../../agent/status/auth.ts';
import { systemClock } from '../../protocols/clock.ts';
import { testLogger } from '../helpers/logger.ts';
import { type PromFamily, parseExposition, sum, value } from '../helpers/prom.ts';
import { waitFor } from '../helpers/wait.ts';
import { type Bench, startAgent, startBench } from './agent-setup.ts';

/** Poll metrics moved by real polls of the Modbus simulator over TCP. */
const GAS = { ch4: 4.2, h2s: 1.5, co: 12, o2: 20.8 };

describe('agent metrics over a real Modbus link', () => {
  let bench: Bench | undefined;
  let poller: Poller | undefined;
  let agent: Agent | undefined;
  afterEach(async () => {
    await poller?.stop();
    await agent?.stop();
    await bench?.close();
    poller = agent = bench = undefined;
  });

  it('counts every poll, by result and error code, and times them', async () => {
    bench = await startBench('tcp', [
      { unitId: 1, kind: 'gas-detector', scenario: 'steady', params: GAS },
      { unitId: 2, kind: 'gas-detector', scenario: 'steady', params: GAS, faults: { exception: { code: 2 } } },
    ]);
    const b = bench;
    const config = parseConfig({
      gateway: { id: 'gw-test' },
      buffer: { path: path.join(b.dir, 'buffer.db') },
      devices: [
        { id: 'gas', profile: 'gas-detector', intervalMs: 50, ...b.at(1) },
        { id: 'broken', profile: 'gas-detector', intervalMs: 50, ...b.at(2) },
      ],
      status: { enabled: false },
    });
    let metrics: ReturnType<typeof createAgentMetrics> | undefined;
    const p = new Poller({
      config,
      profiles: profileTable(config),
      sink: async () => undefined,
      clock: systemClock,
      bootId: 'boot',
      logger: testLogger(),
      onPoll: (device, ok, latencyMs, code) => metrics?.observePoll(device, ok, latencyMs, code),
    });
    poller = p;
    metrics = createAgentMetrics({
      buffer: {
        stats: () => ({
          count: 0,
          bytes: 0,
          oldestTs: null,
          lastSeq: 0,
          evicted: { ordinary: 0, dga: 0, alarm: 0 },
          pending: 0,
          health: { state: 'writable', failedCommits: 0, lostRecords: 0, lastErrorCode: null, since: null, freeBytes: null, reserveActive: false },
        }),
      },
      sync: () => null,
      broker: () => null,
      alarms: () => [],
      devices: () => p.devices.map((d) => ({ id: d.id, health: d.health })),
      links: () => [...p.links.values()].map((l) => ({ id: l.id, stats: l.stats })),
    });
    const m = metrics;
    const scrape = async (): Promise<Map<string, PromFamily>> => parseExposition(await m.registry.metrics());
    const gas = p.devices.find((d) => d.id === 'gas')!;
    p.start();

    await waitFor(() => gas.health.polls >= 2, 'first polls');
    const first = await scrape();
    const okBefore = value(first, 'atalaya_modbus_polls_total', { device: 'gas', result: 'ok' }) ?? 0;
    expect(okBefore).toBeGreaterThanOrEqual(2);
    expect(sum(first, 'atalaya_modbus_link_connected')).toBe(2);
    expect(value(first, 'atalaya_modbus_device_up', { device: 'gas' })).toBe(1);

    await waitFor(() => gas.health.polls >= okBefore + 3, 'more polls');
    await p.stop();
    const second = await scrape();
    // The poller is stopped: the counters now match what the devices' health counted, exactly.
    expect(value(second, 'atalaya_modbus_polls_total', { device: 'gas', result: 'ok' })).toBe(gas.health.polls);
    expect(value(second, 'atalaya_modbus_polls_total', { device: 'gas', result: 'ok' })).toBeGreaterThan(okBefore);
    expect(value(second, 'atalaya_modbus_polls_total', { device: 'gas', result: 'error' })).toBeUndefined();
    expect(value(second, 'atalaya_modbus_poll_duration_seconds_count', { device: 'gas' })).toBe(gas.health.polls);
    expect(value(second, 'atalaya_modbus_poll_duration_seconds_sum', { device: 'gas' })).toBeGreaterThan(0);
    // An exception answer: alive (health ok) but the poll is an error, counted by code.
    const broken = p.devices.find((d) => d.id === 'broken')!;
    expect(broken.health.state).toBe('ok');
    const brokenErrors = value(second, 'atalaya_modbus_polls_total', { device: 'broken', result: 'error' });
    expect(brokenErrors).toBe(broken.health.polls);
    expect(value(second, 'atalaya_modbus_errors_total', { device: 'broken', code: MODBUS_EXCEPTION })).toBe(brokenErrors);
    expect(value(second, 'atalaya_modbus_link_transactions_total', { link: `tcp://127.0.0.1:${b.sim.tcpPort}/1` })).toBeGreaterThanOrEqual(gas.health.polls);
  });

  it('are served by the agent at /metrics to a status token only', async () => {
    bench = await startBench('tcp', [{ unitId: 1, kind: 'gas-detector', scenario: 'steady', params: GAS }]);
    const token = newStatusToken();
    agent = await startAgent(bench, [{ id: 'gas', profile: 'gas-detector', intervalMs: 50, ...bench.at(1) }], {
      status: { host: '127.0.0.1', port: 0, tokens: [hashStatusToken(token)] },
    });
    const a = agent;
    const { port } = a.statusAddress!;
    const get = async (auth: string | null): Promise<{ status: number; text: string }> => {
      const res = await request(`http://127.0.0.1:${port}/metrics`, { headers: auth === null ? {} : { authorization: auth } });
      return { status: res.statusCode, text: await res.body.text() };
    };
    expect((await get(null)).status).toBe(401);
    expect((await get('Bearer ats_wrong')).status).toBe(401);

    const polls = (text: string): number => value(parseExposition(text), 'atalaya_modbus_polls_total', { device: 'gas', result: 'ok' }) ?? 0;
    const first = await waitFor(async () => {
      const r = await get(`Bearer ${token}`);
      return r.status === 200 && polls(r.text) > 0 && r.text;
    }, 'a first poll in the metrics');
    const again = await waitFor(async () => {
      const r = await get(`Bearer ${token}`);
      return polls(r.text) > polls(first) && parseExposition(r.text);
    }, 'the poll counter to move');
    expect(value(again, 'atalaya_modbus_poll_duration_seconds_count', { device: 'gas' })).toBeGreaterThan(0);
    expect(value(again, 'atalaya_buffer_committed_records_total')).toBeGreaterThan(0);
    expect(value(again, 'atalaya_mqtt_clients')).toBe(0);
    // Sync is not configured: no sync samples at all.
    expect(again.get('atalaya_sync_lag_records')?.samples).toEqual([]);
    expect(again.get('process_resident_memory_bytes')?.samples).toHaveLength(1);
  });
});
