/**
 * Issue 18 §1: an agent loads only the parts its config uses. A real agent process with the
 * footprint benchmark's shape (test/bench/agent-rss.ts: a Modbus TCP device, the MQTT broker on
 * TCP, the status page; no sync, no mappings, no WebSocket listener, no paging) serves a status
 * request, stops, and lists the npm packages it loaded (test/helpers/loaded-packages.cjs).
 */

import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../protocols/clock.ts';
import { ModbusSimulator } from '../../simulators/modbus/simulator.ts';
import { startAgentProcess, writeAgentConfig } from '../helpers/agent-process.ts';
import { testLogger } from '../helpers/logger.ts';
import { type AtalayaProcess, cleanEnv } from '../helpers/relay-process.ts';

const PRELOAD = path.resolve('test/helpers/loaded-packages.cjs');

describe('agent footprint: packages a config does not use stay unloaded', () => {
  let dir: string;
  let sim: ModbusSimulator;
  let agent: AtalayaProcess | undefined;
  let loaded: Set<string>;
  let metricsStatus: number;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'atalaya-footprint-'));
    sim = new ModbusSimulator({
      devices: [{ unitId: 1, kind: 'gas-detector', scenario: 'steady' }],
      tcp: { host: '127.0.0.1', port: 0 },
      clock: systemClock,
      logger: testLogger(),
    });
    await sim.start();
    const token = randomBytes(16).toString('hex');
    const config = writeAgentConfig(path.join(dir, 'agent.yaml'), {
      gateway: { id: 'footprint' },
      buffer: { path: path.join(dir, 'buffer.db') },
      log: { level: 'info' },
      mqtt: { listeners: [{ type: 'tcp', host: '127.0.0.1', port: 0 }] },
      status: { host: '127.0.0.1', port: 0, tokens: [createHash('sha256').update(token).digest('hex')] },
      devices: [{ id: 'gas-1', profile: 'gas-detector', tcp: { host: '127.0.0.1', port: sim.tcpPort }, unitId: 1, intervalMs: 200 }],
    });
    const list = path.join(dir, 'loaded.txt');
    agent = await startAgentProcess(config, cleanEnv({ NODE_OPTIONS: `--require ${PRELOAD}`, LOADED_PACKAGES_FILE: list }));
    const { port } = await agent.waitForMessage<{ port: number }>('status page listening');
    const res = await fetch(`http://127.0.0.1:${port}/metrics`, { headers: { authorization: `Bearer ${token}` } });
    await res.arrayBuffer();
    metricsStatus = res.status;
    const exit = await agent.stop();
    expect(exit.code, agent.tail()).toBe(0);
    loaded = new Set(readFileSync(list, 'utf8').split('\n'));
  });

  afterAll(async () => {
    await agent?.stop();
    await sim?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs the parts it is configured with (the list is real)', () => {
    expect(metricsStatus).toBe(200);
    for (const name of ['fastify', 'mqtt-packet', 'better-sqlite3', 'modbus-serial', 'prom-client']) expect(loaded).toContain(name);
  });

  it("does not load Fastify's schema compilers: the status routes declare no schema", () => {
    for (const name of ['@fastify/ajv-compiler', '@fastify/fast-json-stringify-compiler', 'ajv', 'ajv-formats']) expect(loaded).not.toContain(name);
  });

  it('does not load what sync, Sparkplug mappings, WebSocket listeners and paging would need', () => {
    for (const name of ['undici', 'protobufjs', 'ws', 'nodemailer']) expect(loaded).not.toContain(name);
  });

  it('loads none of the relay, simulator or demo packages', () => {
    for (const name of ['pg', 'ethers', 'node-cron', 'fflate']) expect(loaded).not.toContain(name);
  });
});
