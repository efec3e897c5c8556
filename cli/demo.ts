import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { hashPassword } from '../agent/broker/passwords.ts';
import { parseConfig } from '../agent/config/load.ts';
import { Agent } from '../agent/main.ts';
import { systemClock } from '../protocols/clock.ts';
import type { StoredRecord } from '../protocols/records.ts';
import { ModbusSimulator } from '../simulators/modbus/simulator.ts';
import { GaslytDevice } from '../simulators/mqtt/gaslyt.ts';
import { openPtyPair, type PtyPair } from '../simulators/pty.ts';
import { startDemoRelay } from './demo-relay.ts';
import { rootLogger } from './logger.ts';
import { untilSignal } from './signals.ts';

const HELP = `atalaya demo [--data DIR] [--duration SECONDS] [--mqtt-port PORT] [--relay-port PORT] [--log-level LEVEL]

The whole bench on one machine: simulated gas detectors and flowmeters on Modbus TCP and (when
socat is installed) on an RTU line over a pseudo-terminal, polled by an agent into its buffer; a
GASLYT-style detector publishing to the agent's MQTT broker; the agent syncs everything to a relay
(SQLite) on this machine. Prints the live values every few seconds; Ctrl-C stops everything cleanly.

Options:
  --data DIR          where the agent's buffer lives (default ./data/demo)
  --duration SECONDS  stop by itself after this long (default: run until Ctrl-C)
  --mqtt-port PORT    the agent's MQTT broker on 127.0.0.1 (default 1883; 0 = any free port)
  --relay-port PORT   the relay's HTTP API on 127.0.0.1 (default 8080; 0 = any free port)
  --log-level LEVEL   agent and simulator logs on stderr (default warn)
`;

export async function demoCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      data: { type: 'string', default: './data/demo' },
      duration: { type: 'string' },
      'mqtt-port': { type: 'string', default: '1883' },
      'relay-port': { type: 'string', default: '8080' },
      'log-level': { type: 'string', default: 'warn' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help === true) {
    process.stdout.write(HELP);
    return 0;
  }
  const logger = rootLogger(values['log-level'] ?? 'warn', 2);
  const dataDir = path.resolve(values.data ?? './data/demo');
  mkdirSync(dataDir, { recursive: true });

  const tcpSim = new ModbusSimulator({
    devices: [
      { unitId: 1, kind: 'gas-detector', scenario: 'gas-leak' },
      { unitId: 2, kind: 'flowmeter', scenario: 'flow-steps', params: { sensorDepthM: 60 } },
    ],
    tcp: { host: '127.0.0.1', port: 0 },
    clock: systemClock,
    logger: logger.child({ sim: 'tcp' }),
  });
  await tcpSim.start();

  let pty: PtyPair | undefined;
  let ptyDir: string | undefined;
  let rtuSim: ModbusSimulator | undefined;
  if (spawnSync('socat', ['-V'], { stdio: 'ignore' }).status === 0) {
    ptyDir = mkdtempSync(path.join(tmpdir(), 'atalaya-demo-'));
    pty = await openPtyPair(ptyDir);
    rtuSim = new ModbusSimulator({
      devices: [
        { unitId: 1, kind: 'gas-detector', scenario: 'sensor-fault' },
        { unitId: 2, kind: 'flowmeter', scenario: 'level-changes', params: { sensorDepthM: 85 } },
      ],
      serial: { path: pty.b, baudRate: 19200, parity: 'none', dataBits: 8, stopBits: 1, wireTime: true },
      clock: systemClock,
      logger: logger.child({ sim: 'rtu' }),
    });
    await rtuSim.start();
  }

  const relay = await startDemoRelay(dataDir, 'demo-gw', Number(values['relay-port']), logger.child({ demo: 'relay' }));
  const tcp = { host: '127.0.0.1', port: tcpSim.tcpPort! };
  // Demo-only credentials, made fresh each run: a detector that publishes, a viewer that subscribes.
  const devicePassword = randomBytes(12).toString('base64url');
  const viewerPassword = randomBytes(9).toString('base64url');
  const config = parseConfig({
    gateway: { id: 'demo-gw' },
    buffer: { path: path.join(dataDir, 'buffer.db') },
    serial: pty ? [{ id: 'rs485-demo', path: pty.a, baudRate: 19200, timeoutMs: 300 }] : [],
    devices: [
      { id: 'gas-tcp', profile: 'gas-detector', tcp, unitId: 1, intervalMs: 1000 },
      { id: 'flow-tcp', profile: 'flowmeter', tcp, unitId: 2, intervalMs: 1000, params: { sensorDepthM: 60 } },
      ...(pty
        ? [
            { id: 'gas-rtu', profile: 'gas-detector', serial: 'rs485-demo', unitId: 1, intervalMs: 1000 },
            { id: 'flow-rtu', profile: 'flowmeter-t64', serial: 'rs485-demo', unitId: 2, intervalMs: 2000, params: { sensorDepthM: 85 } },
          ]
        : []),
    ],
    sync: { url: relay.url, secretFile: relay.secretFile, idleMs: 1000 },
    mqtt: {
      listeners: [{ type: 'tcp', host: '127.0.0.1', port: Number(values['mqtt-port']) }],
      users: [
        { username: 'gaslyt-01', password: await hashPassword(devicePassword), publish: ['atalaya/in/%u/#'], subscribe: [] },
        { username: 'viewer', password: await hashPassword(viewerPassword), publish: [], subscribe: ['atalaya/demo-gw/#'] },
      ],
    },
  }, 'demo');
  const agent = new Agent(config, { logger });
  await agent.start();
  const mqttPort = agent.broker!.addresses()[0]!.port;
  const gaslyt = new GaslytDevice({
    url: `mqtt://127.0.0.1:${mqttPort}`, deviceId: 'gaslyt-01', username: 'gaslyt-01', password: devicePassword,
    scenario: 'gas-leak', intervalMs: 1000, topicPrefix: 'atalaya', clock: systemClock, logger,
  });
  await gaslyt.start();

  process.stdout.write(`Atalaya demo
  modbus tcp simulator  127.0.0.1:${tcp.port}  (1 gas detector: gas-leak, 2 flowmeter: flow-steps)
  modbus rtu simulator  ${pty ? `${pty.b} ⇄ ${pty.a}, 19200 baud, wire-time delays (1 gas detector: sensor-fault, 2 flowmeter: level-changes)` : 'not started: install socat'}
  mqtt broker           mqtt://127.0.0.1:${mqttPort}  (gaslyt-01 publishes a gas-leak scenario)
                        watch: mosquitto_sub -h 127.0.0.1 -p ${mqttPort} -u viewer -P ${viewerPassword} -t 'atalaya/demo-gw/#' -v
  agent buffer          ${config.buffer.path}
  relay                 ${relay.url}  (SQLite ${path.join(dataDir, 'relay.db')})
                        curl -H 'Authorization: Bearer ${relay.token}' '${relay.url}/v1/readings?limit=5'
  Ctrl-C to stop.
`);

  const show = setInterval(() => process.stdout.write(summary(agent)), 5000);
  const duration = values.duration !== undefined ? Number(values.duration) * 1000 : undefined;
  await Promise.race([untilSignal(), ...(duration !== undefined ? [new Promise((r) => setTimeout(r, duration))] : [])]);
  clearInterval(show);
  process.stdout.write(summary(agent));
  await gaslyt.stop();
  await agent.stop();
  await relay.relay.stop();
  await rtuSim?.stop();
  await tcpSim.stop();
  await pty?.close();
  if (ptyDir !== undefined) rmSync(ptyDir, { recursive: true, force: true });
  process.stdout.write('stopped cleanly\n');
  return 0;
}

const SHOWN = new Set(['ch4', 'h2s', 'co', 'o2', 'alarm_1', 'alarm_2', 'flow', 'totalizer', 'level']);

function summary(agent: Agent): string {
  const byDevice = new Map<string, StoredRecord[]>();
  for (const r of agent.buffer.latest()) {
    if (!SHOWN.has(r.channel)) continue;
    byDevice.set(r.device, [...(byDevice.get(r.device) ?? []), r]);
  }
  const s = agent.buffer.stats();
  const sync = agent.sync?.status();
  const lines = [...byDevice].sort(([a], [b]) => a.localeCompare(b)).map(([device, rs]) =>
    `  ${device.padEnd(9)} ${rs.map((r) => `${r.channel}=${r.value ?? '-'}${r.unit}${r.quality === 'good' ? '' : `(${r.quality})`}`).join('  ')}`);
  const alarms = agent.alarms.active().map((a) => `${a.device}/${a.channel} ${a.rule} ${a.level}${a.latched ? ' (latched)' : ''}`);
  const synced = sync === undefined ? 'off' : `${sync.state}, ${sync.sentRecords} sent${sync.lastError !== null ? `, last error ${sync.lastError}` : ''}`;
  return `[${new Date().toISOString()}] buffer: ${s.count} unsent records, last seq ${s.lastSeq}; sync: ${synced}; alarms: ${alarms.join(', ') || 'none'}\n${lines.join('\n')}\n`;
}
