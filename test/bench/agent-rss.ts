/**
 * Footprint of a real agent process polling 200 channels at 1 Hz (20 simulated gas detectors of
 * 10 points each over Modbus TCP): peak RSS and CPU. Prints, asserts nothing.
 * Run: node bin/run-ts.mjs test/bench/agent-rss.ts [seconds]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { fmt, machineLine, out, procUsage, startSim } from './common.ts';

export async function main(seconds = 30, devices = 20): Promise<void> {
  out(machineLine());
  const dir = mkdtempSync(path.join(tmpdir(), 'atalaya-rss-'));
  const units = Array.from({ length: devices }, (_, i) => i + 1);
  const sim = await startSim(['--tcp', '0', ...units.flatMap((u) => ['--device', `${u}=gas-detector:gas-leak`])]);
  const config = path.join(dir, 'agent.yaml');
  writeFileSync(config, [
    'gateway: {id: bench}',
    'buffer: {path: buffer.db}',
    'log: {level: warn}',
    'mqtt: {listeners: [{type: tcp, host: 127.0.0.1, port: 0}]}',
    'status: {host: 127.0.0.1, port: 0}',
    'devices:',
    ...units.map((u) => `  - {id: gas-${u}, profile: gas-detector, tcp: {host: 127.0.0.1, port: ${sim.tcpPort}}, unitId: ${u}, intervalMs: 1000}`),
  ].join('\n'));
  const agent = spawn(process.execPath, [path.resolve('dist/cli/main.js'), 'agent', '-c', config], { stdio: ['ignore', 'ignore', 'inherit'] });
  const exited = new Promise((r) => agent.once('exit', r));
  try {
    await new Promise((r) => setTimeout(r, 3000)); // start-up and first polls, not measured
    const start = procUsage(agent.pid!);
    let peak = start.rssBytes;
    for (let s = 0; s < seconds; s++) {
      await new Promise((r) => setTimeout(r, 1000));
      peak = Math.max(peak, procUsage(agent.pid!).rssBytes);
    }
    const end = procUsage(agent.pid!);
    const db = new Database(path.join(dir, 'buffer.db'), { readonly: true });
    const count = (db.prepare('SELECT count(*) AS n FROM records').get() as { n: number }).n;
    db.close();
    out(`agent footprint: ${devices} gas detectors × 10 points at 1 Hz over Modbus TCP (${devices * 10} channels), ${seconds} s measured`);
    out(`  peak RSS ${fmt(peak / 2 ** 20, 1)} MiB, CPU ${fmt(((end.cpuSeconds - start.cpuSeconds) / seconds) * 100, 1)} % of one core, ${fmt(count)} records stored`);
  } finally {
    agent.kill('SIGTERM');
    await exited;
    await sim.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  await main(Number(process.argv[2] ?? 30));
}
