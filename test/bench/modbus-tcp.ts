/**
 * Modbus TCP throughput of the agent's polling path against the simulator (a separate process):
 * transactions/s and points/s decoded into records, agent CPU and RSS. Prints, asserts nothing.
 * Run: node bin/run-ts.mjs test/bench/modbus-tcp.ts [seconds]
 */
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { parseConfig } from '../../agent/config/load.ts';
import { profileTable } from '../../agent/config/profiles.ts';
import { Poller } from '../../agent/modbus/poller.ts';
import { systemClock } from '../../protocols/clock.ts';
import { testLogger } from '../helpers/logger.ts';
import { fmt, machineLine, out, startSim } from './common.ts';

/** 16 registers of one simulated device read as 16 channels plus the 16 bits of its status word. */
const wideProfile = {
  description: 'bench: every register of a simulated gas detector',
  channels: Array.from({ length: 16 }, (_, i) => ({ key: `r${i}`, address: i, type: 'uint16', unit: 'raw', min: 0, max: 65535, resolution: 1 })),
  status: Array.from({ length: 16 }, (_, i) => ({ key: `b${i}`, address: 4, bit: i, meaning: 'info' })),
};

export async function main(seconds = 10, connections = 8): Promise<void> {
  out(machineLine());
  const units = Array.from({ length: connections }, (_, i) => i + 1);
  const sim = await startSim(['--tcp', '0', ...units.flatMap((u) => ['--device', `${u}=gas-detector:steady`])]);
  try {
    const config = parseConfig({
      gateway: { id: 'bench' },
      profiles: { wide: wideProfile },
      devices: units.map((u) => ({ id: `d${u}`, profile: 'wide', tcp: { host: '127.0.0.1', port: sim.tcpPort }, unitId: u })),
    });
    const poller = new Poller({
      config,
      profiles: profileTable(config),
      sink: async () => undefined,
      clock: systemClock,
      bootId: 'bench',
      logger: testLogger(),
    });
    // Warm-up: connections open, JIT settles.
    await poller.pollOnce();
    let transactions = 0;
    let points = 0;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const end = t0 + seconds * 1000;
    let peakRss = 0;
    await Promise.all(
      poller.devices.map(async (d) => {
        while (performance.now() < end) {
          const records = await d.pollOnce();
          transactions++;
          points += records.length;
          if ((transactions & 1023) === 0) peakRss = Math.max(peakRss, process.memoryUsage.rss());
        }
      }),
    );
    const elapsed = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
    await poller.stop();
    out(`modbus tcp: ${connections} devices on ${connections} connections, 16 registers (32 points) per transaction, ${seconds} s`);
    out(`  ${fmt(transactions / elapsed)} transactions/s, ${fmt(points / elapsed)} points/s decoded into records`);
    out(
      `  agent CPU ${fmt(((cpu.user + cpu.system) / 1e6 / elapsed) * 100)} % of one core, peak RSS of the polling process ${fmt(peakRss / 2 ** 20, 1)} MiB (simulator in its own process)`,
    );
  } finally {
    await sim.stop();
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  await main(Number(process.argv[2] ?? 10));
}
