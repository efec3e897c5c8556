import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseConfig } from '../../agent/config/load.ts';
import { Agent } from '../../agent/main.ts';
import { type Clock, systemClock } from '../../protocols/clock.ts';
import { ModbusSimulator, type SimDeviceConfig } from '../../simulators/modbus/simulator.ts';
import { openPtyPair, type PtyPair } from '../../simulators/pty.ts';
import { testLogger } from '../helpers/logger.ts';

export type Transport = 'tcp' | 'rtu';

/** A simulator on one transport, plus how an agent device entry reaches a unit on it. */
export interface Bench {
  readonly sim: ModbusSimulator;
  readonly dir: string;
  readonly serial: Array<Record<string, unknown>>;
  at(unitId: number): Record<string, unknown>;
  close(): Promise<void>;
}

export async function startBench(transport: Transport, devices: SimDeviceConfig[], baudRate = 19200, clock: Clock = systemClock): Promise<Bench> {
  const dir = mkdtempSync(path.join(tmpdir(), 'atalaya-agent-'));
  let pty: PtyPair | undefined;
  let sim: ModbusSimulator;
  if (transport === 'tcp') {
    sim = new ModbusSimulator({ devices, tcp: { host: '127.0.0.1', port: 0 }, clock, logger: testLogger(), seed: 1 });
  } else {
    pty = await openPtyPair(dir);
    sim = new ModbusSimulator({ devices, serial: { path: pty.b, baudRate, parity: 'none', dataBits: 8, stopBits: 1 }, clock, logger: testLogger(), seed: 1 });
  }
  await sim.start();
  return {
    sim,
    dir,
    serial: pty ? [{ id: 'line', path: pty.a, baudRate, timeoutMs: 200 }] : [],
    at: (unitId) => (pty ? { serial: 'line', unitId } : { tcp: { host: '127.0.0.1', port: sim.tcpPort!, timeoutMs: 200 }, unitId }),
    async close() {
      await sim.stop();
      await pty?.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** An agent on the bench; its MQTT broker listens on a free loopback port unless `extra.mqtt` says otherwise. */
export async function startAgent(bench: Bench, devices: Array<Record<string, unknown>>, extra: Record<string, unknown> = {}): Promise<Agent> {
  const config = parseConfig({
    gateway: { id: 'gw-test' },
    buffer: { path: path.join(bench.dir, 'buffer.db'), commitIntervalMs: 20 },
    serial: bench.serial,
    devices,
    mqtt: { listeners: [{ type: 'tcp', host: '127.0.0.1', port: 0 }] },
    status: { host: '127.0.0.1', port: 0 },
    ...extra,
  });
  const agent = new Agent(config, { logger: testLogger() });
  await agent.start();
  return agent;
}
