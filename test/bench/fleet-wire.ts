/**
 * Fleet channel figures (issue 16): bytes on the wire per health report and per idle hour per
 * gateway (aim: < 1 KB per report, < 50 KB per idle hour), and the relay's CPU for 1,000
 * gateways reporting once a minute. The relay is a real `atalaya relay` child process (SQLite);
 * bytes are counted on a TCP pass-through between the agent's FleetClient and the relay (HTTP
 * request and answer, headers included; TCP/IP and TLS overhead not included); CPU from
 * /proc/<relay pid>. Prints, asserts nothing.
 * Run: node bin/run-ts.mjs test/bench/fleet-wire.ts [gateways]
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { pino } from 'pino';
import { Agent, request } from 'undici';
import { FleetClient } from '../../agent/fleet/client.ts';
import { buildHealthReport, healthChangeKey } from '../../agent/fleet/health.ts';
import { GatewaySecrets } from '../../cloud/ingest/gateway-secrets.ts';
import { parseRelayKey } from '../../cloud/secrets.ts';
import { createRelayDatabase } from '../../cloud/store/database.ts';
import { systemClock } from '../../protocols/clock.ts';
import { encodePoll } from '../../protocols/fleet/codec.ts';
import type { HealthReport } from '../../protocols/fleet/health.ts';
import { FLEET_POLL_PATH } from '../../protocols/fleet/types.ts';
import { newNonce, SIGNATURE_HEADERS, secretBytes, signRequest } from '../../protocols/sync/signature.ts';
import { cleanEnv, startRelayProcess, writeRelayConfig } from '../helpers/relay-process.ts';
import { fmt, machineLine, out, procUsage } from './common.ts';

const silent = pino({ level: 'silent' });
const DEVICES = ['gas-tcp-1', 'gas-tcp-2', 'gas-rtu-1', 'gas-rtu-2', 'flow-tcp-1', 'flow-rtu-1'];

/** A gateway's report as the agent builds it: 4 gas detectors and 2 flowmeters, a Pi's figures. */
async function report(i: number): Promise<HealthReport> {
  return buildHealthReport({
    version: '0.1.0',
    bootId: '5f1c3b1e-0d6e-4a43-9f0e-1d2c3b4a5e6f',
    uptimeS: () => 86_400 * 3 + i * 17,
    clockSynced: () => true,
    clockOffsetMs: () => 0,
    buffer: () => ({
      count: 56 + (i % 7),
      bytes: 4_300_800,
      oldestTs: Date.now() - 1800,
      evicted: { ordinary: 0, dga: 0, alarm: 0 },
      health: { state: 'writable' },
    }),
    devices: () => DEVICES.map((id, d) => ({ id, health: { state: 'ok' as const, polls: 259_200 + d, goodPolls: 259_190 + d } })),
    brokerClients: () => 2,
    system: async () => ({
      cpuTempC: 51.6,
      rssBytes: 61_865_984,
      memAvailableBytes: 3_321_430_016,
      disk: { freeBytes: 24_118_079_488, totalBytes: 31_167_815_680 },
    }),
    configVersion: () => null,
  });
}

/** A TCP pass-through to `port` counting bytes each way. */
async function countingProxy(port: number): Promise<{ port: number; up: () => number; down: () => number; close: () => Promise<void> }> {
  let up = 0;
  let down = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const relay = net.connect(port, '127.0.0.1');
    for (const s of [client, relay]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => undefined);
    }
    client.on('data', (d: Buffer) => {
      up += d.length;
      relay.write(d);
    });
    relay.on('data', (d: Buffer) => {
      down += d.length;
      client.write(d);
    });
    client.on('end', () => relay.end());
    relay.on('end', () => client.end());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    up: () => up,
    down: () => down,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}

async function provision(dir: string, key: string, ids: readonly string[]): Promise<Map<string, string>> {
  const database = createRelayDatabase({ kind: 'sqlite', path: path.join(dir, 'relay.db'), synchronous: 'full' }, silent);
  await database.start();
  const secrets = new GatewaySecrets({ store: database.records, key: parseRelayKey(key, 'bench'), logger: silent });
  const out = new Map<string, string>();
  for (const id of ids) out.set(id, await secrets.provision(id, Date.now()));
  await database.stop();
  return out;
}

function signedPoll(id: string, secret: Uint8Array, body: Buffer): Record<string, string> {
  const timestamp = Date.now();
  const nonce = newNonce();
  return {
    'content-type': 'application/octet-stream',
    [SIGNATURE_HEADERS.gateway]: id,
    [SIGNATURE_HEADERS.timestamp]: String(timestamp),
    [SIGNATURE_HEADERS.nonce]: nonce,
    [SIGNATURE_HEADERS.signature]: signRequest({ method: 'POST', path: FLEET_POLL_PATH, timestamp, nonce, body, secret }),
  };
}

export async function main(gateways = 1000): Promise<void> {
  out(machineLine());
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atalaya-fleet-bench-'));
  const setup = writeRelayConfig(dir, { kind: 'sqlite', path: 'relay.db' }, 'fleet: {}\n');
  const key = fs.readFileSync(path.join(dir, 'relay.key'), 'utf8').trim();
  const ids = Array.from({ length: gateways }, (_, i) => `gw-${String(i).padStart(4, '0')}`);
  const secrets = await provision(dir, key, ids);
  const relay = await startRelayProcess(setup.configFile, cleanEnv());
  try {
    // 1. One gateway's real FleetClient through the counting pass-through: polls with a full
    // health report (healthIntervalMs 0), then polls between reports (healthIntervalMs an hour).
    const first = ids[0]!;
    const perPoll = async (healthIntervalMs: number): Promise<{ up: number; down: number; body: number }> => {
      const proxy = await countingProxy(relay.port);
      const polls = 20;
      const client = new FleetClient({
        url: `http://127.0.0.1:${proxy.port}`,
        gatewayId: first,
        secret: secretBytes(secrets.get(first)!),
        intervalMs: 3_600_000,
        healthIntervalMs,
        healthKey: healthChangeKey,
        timeoutMs: 10_000,
        clock: systemClock,
        logger: silent,
        health: () => report(0),
      });
      client.start();
      await client.pollNow(); // opens the connection, carries the first report
      const [up0, down0, sent0] = [proxy.up(), proxy.down(), client.status().sentBytes];
      for (let i = 0; i < polls; i++) await client.pollNow();
      const result = { up: (proxy.up() - up0) / polls, down: (proxy.down() - down0) / polls, body: (client.status().sentBytes - sent0) / polls };
      await client.stop();
      await proxy.close();
      return result;
    };
    const full = await perPoll(0);
    const light = await perPoll(3_600_000);
    const json = JSON.stringify(await report(0)).length;
    const total = (p: { up: number; down: number }): number => p.up + p.down;
    out(`health report: ${fmt(json)} B of JSON, ${fmt(full.body)} B gzip body (6 devices)`);
    out(
      `  poll with the report:    ${fmt(full.up)} B up + ${fmt(full.down)} B down = ${fmt(total(full))} B on the wire (HTTP/1.1 keep-alive, headers included)`,
    );
    out(`  poll between reports:    ${fmt(light.up)} B up + ${fmt(light.down)} B down = ${fmt(total(light))} B (body ${fmt(light.body)} B)`);
    for (const [intervalS, healthS] of [
      [60, 300],
      [60, 60],
      [300, 300],
    ] as const) {
      const polls = 3600 / intervalS;
      const reports = 3600 / Math.max(intervalS, healthS);
      const perHour = polls * total(light) + reports * (total(full) - total(light));
      out(
        `  idle hour, intervalMs ${intervalS} s, healthIntervalMs ${healthS} s: ${fmt(polls)} polls, ${fmt(reports)} reports, ${fmt(perHour / 1000, 1)} kB (+ ~${fmt((polls * 4 * 52) / 1000, 1)} kB of TCP/IP headers at ~4 segments a poll)`,
      );
    }

    // 2. Relay CPU for every gateway reporting once (= one minute of the fleet at the default interval).
    const dispatcher = new Agent({ connections: 16 });
    const url = `${relay.url}${FLEET_POLL_PATH}`;
    const bodies = await Promise.all(ids.map(async (_, i) => encodePoll({ v: 1, health: await report(i), parts: {} })));
    const keys = ids.map((id) => secretBytes(secrets.get(id)!));
    const round = async (): Promise<{ cpu: number; wall: number; failed: number }> => {
      const before = procUsage(relay.process.child.pid!).cpuSeconds;
      const t0 = performance.now();
      let next = 0;
      let failed = 0;
      await Promise.all(
        Array.from({ length: 16 }, async () => {
          for (let i = next++; i < ids.length; i = next++) {
            const res = await request(url, { dispatcher, method: 'POST', headers: signedPoll(ids[i]!, keys[i]!, bodies[i]!), body: bodies[i] });
            await res.body.dump();
            if (res.statusCode !== 200) failed++;
          }
        }),
      );
      const wall = (performance.now() - t0) / 1000;
      return { cpu: procUsage(relay.process.child.pid!).cpuSeconds - before, wall, failed };
    };
    await round(); // warm-up: first report of each gateway inserts its row
    const measured = [await round(), await round()];
    const cpu = Math.min(...measured.map((m) => m.cpu));
    const wall = Math.min(...measured.map((m) => m.wall));
    out(
      `relay: ${fmt(gateways)} gateways reporting once (one minute of the fleet at 60 s): ${fmt(cpu, 2)} CPU s (${fmt((cpu / 60) * 100, 1)} % of one core), ${fmt((cpu / gateways) * 1000, 2)} ms CPU per poll; ${fmt(gateways / wall)} polls/s at 16 in flight; refused ${measured.reduce((n, m) => n + m.failed, 0)}`,
    );
    await dispatcher.close();
  } finally {
    await relay.process.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) await main(Number(process.argv[2] ?? 1000));
