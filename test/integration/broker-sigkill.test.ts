import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../platform/passwords.ts';
import { systemClock } from '../../protocols/clock.ts';
import { ModbusSimulator } from '../../simulators/modbus/simulator.ts';
import { testLogger } from '../helpers/logger.ts';
import { waitFor } from '../helpers/wait.ts';

const DEVICES = ['det-1', 'det-2', 'det-3'];
const PASSWORD = 'kill-test-password';

/** Start the agent and read its broker's port from its log. */
async function startAgent(config: string): Promise<{ child: ChildProcess; port: number; exited: Promise<unknown> }> {
  const child = spawn(process.execPath, [path.resolve('bin/atalaya.mjs'), 'agent', '-c', config], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise((r) => child.once('exit', r));
  let log = '';
  child.stdout!.on('data', (d: Buffer) => (log += d.toString()));
  const port = await waitFor(
    () => {
      for (const line of log.split('\n')) {
        if (!line.includes('MQTT broker started')) continue;
        return (JSON.parse(line) as { listeners: Array<{ port: number }> }).listeners[0]!.port;
      }
      return undefined;
    },
    'agent broker listening',
    30_000,
  );
  return { child, port, exited };
}

/** Values of the stored ingest readings per device (the value is the message's sequence number). */
function stored(db: string): Map<string, Set<number>> {
  const conn = new Database(db, { readonly: true });
  try {
    const rows = conn
      .prepare(
        "SELECT n.name AS device, r.value AS value FROM records r JOIN names n ON n.id = r.device WHERE r.channel = (SELECT id FROM names WHERE name = 'seqprobe')",
      )
      .all() as Array<{ device: string; value: number }>;
    const out = new Map<string, Set<number>>();
    for (const r of rows) out.set(r.device, (out.get(r.device) ?? new Set()).add(r.value));
    return out;
  } finally {
    conn.close();
  }
}

describe('agent SIGKILLed while MQTT devices publish QoS 1 in a loop', () => {
  let dir: string;
  let sim: ModbusSimulator;
  let agent: { child: ChildProcess; exited: Promise<unknown> } | undefined;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'atalaya-mqtt-kill-'));
    sim = new ModbusSimulator({
      devices: [{ unitId: 1, kind: 'gas-detector', scenario: 'steady' }],
      tcp: { host: '127.0.0.1', port: 0 },
      clock: systemClock,
      logger: testLogger(),
    });
    await sim.start();
  });

  afterAll(async () => {
    if (agent && agent.child.exitCode === null && agent.child.signalCode === null) {
      agent.child.kill('SIGKILL');
      await agent.exited;
    }
    await sim.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('has every PUBACKed message in the buffer after each restart', async () => {
    const hash = await hashPassword(PASSWORD);
    const config = path.join(dir, 'agent.yaml');
    writeFileSync(
      config,
      `gateway: {id: gw-mqtt-kill}
buffer: {path: buffer.db, commitIntervalMs: 20}
log: {level: info}
status: {host: 127.0.0.1, port: 0}
mqtt:
  listeners: [{type: tcp, host: 127.0.0.1, port: 0}]
  maxPublishesPerSecond: 100000   # the flood guard is not under test here
  users:
${DEVICES.map((d) => `    - {username: ${d}, password: '${hash}', publish: ['atalaya/in/%u/#'], subscribe: []}`).join('\n')}
devices:
  - {id: gas, profile: gas-detector, tcp: {host: 127.0.0.1, port: ${sim.tcpPort}}, intervalMs: 200}
`,
    );
    const acked = new Map<string, Set<number>>(DEVICES.map((d) => [d, new Set<number>()]));
    const next = new Map<string, number>(DEVICES.map((d) => [d, 1]));
    for (let run = 0; run < 3; run++) {
      agent = await startAgent(config);
      const { port } = agent as { port: number } & typeof agent;
      let stop = false;
      const loops = DEVICES.map(async (device) => {
        const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { clientId: device, username: device, password: PASSWORD, reconnectPeriod: 0 });
        client.on('error', () => undefined);
        // After the kill nothing answers: stop waiting for PUBACKs that will never come.
        const closed = new Promise<void>((r) => client.once('close', () => r()));
        const inflight = new Set<Promise<void>>();
        while (!stop && client.connected) {
          const seq = next.get(device)!;
          next.set(device, seq + 1);
          const payload = JSON.stringify({ channel: 'seqprobe', value: seq, unit: 'n', seq });
          const p = client.publishAsync(`atalaya/in/${device}/telemetry`, payload, { qos: 1 }).then(
            () => void acked.get(device)!.add(seq),
            () => undefined, // not acknowledged: the device would send it again; nothing is promised
          );
          inflight.add(p);
          void p.finally(() => inflight.delete(p));
          if (inflight.size >= 20) await Promise.race([...inflight, closed]);
        }
        await client.endAsync(true);
      });
      // Kill once a good number of messages of this run have been acknowledged.
      const before = [...acked.values()].reduce((n, s) => n + s.size, 0);
      await waitFor(() => [...acked.values()].reduce((n, s) => n + s.size, 0) >= before + 300 + run * 111, `run ${run} acknowledgements`, 30_000);
      agent.child.kill('SIGKILL');
      await agent.exited;
      stop = true;
      await Promise.all(loops);

      const have = stored(path.join(dir, 'buffer.db'));
      for (const device of DEVICES) {
        const missing = [...acked.get(device)!].filter((seq) => !have.get(device)?.has(seq));
        expect(missing, `${device}: acknowledged but not stored`).toEqual([]);
      }
    }
    expect([...acked.values()].every((s) => s.size > 100)).toBe(true);
  });
});
