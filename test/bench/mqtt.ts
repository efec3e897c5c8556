/**
 * MQTT figures of a real agent process (issue: QoS 1 ingest ≥ 20,000 msg/s durable; Aedes' README
 * reports 28,115 msg/s QoS 1 in memory):
 *  1. QoS 1 telemetry acknowledged per second (PUBACK only after the buffer commit) with N
 *     concurrent publishers, then the buffer's record count checked against the acknowledgements;
 *  2. the same load against Debian's mosquitto (no persistence) in the same run, and the ratio;
 *  3. fan-out latency from a polled Modbus reading to a subscriber of the republished tree.
 * Publishers are mqtt.js clients in PUBLISHER_PROCESSES child processes of this same script, so
 * neither the agent nor mosquitto shares an event loop with them. Prints, asserts nothing.
 * Run: node bin/run-ts.mjs test/bench/mqtt.ts [seconds per point]; ATALAYA_BENCH_PROF=<dir> makes
 * every agent write a V8 CPU profile (--cpu-prof) there when it stops; ATALAYA_BENCH_NODE_OPTIONS
 * passes V8 flags to the agents (e.g. the unit file's --max-semi-space-size).
 */
import { type ChildProcess, type StdioOptions, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { cpus, tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import mqtt, { type MqttClient } from 'mqtt';
import { stringify } from 'yaml';
import { BUFFER_DEFAULTS } from '../../agent/buffer/options.ts';
import { hashPassword } from '../../platform/passwords.ts';
import { systemClock } from '../../protocols/clock.ts';
import { ModbusSimulator } from '../../simulators/modbus/simulator.ts';
import { testLogger } from '../helpers/logger.ts';
import { fmt, machineLine, out, procUsage } from './common.ts';
import { BENCH_MAPPINGS, BENCH_PUBLISH_ACL, INGEST_CHANNEL, type PayloadFormat, stream } from './mqtt-payloads.ts';

const PUBLISHERS = [1, 10, 50];
const PUBLISHER_PROCESSES = 2;
/** QoS 1 messages a client keeps unacknowledged; mqtt.js itself has no send window in 3.1.1. */
const IN_FLIGHT = 100;
const WARMUP_MS = 1000;
const FANOUT_MESSAGES = 500;
const FANOUT_DEVICES = 5;
const FANOUT_INTERVAL_MS = 50;
const MOSQUITTO = '/usr/sbin/mosquitto';
export const USER = 'bench';
export const PASSWORD = 'bench-password';

const children = new Set<ChildProcess>();
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Starts a child, remembered so that every exit path kills it. */
function launch(command: string, args: string[], stdio: StdioOptions): { child: ChildProcess; exited: Promise<void> } {
  const child = spawn(command, args, { stdio });
  children.add(child);
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  void exited.then(() => children.delete(child));
  return { child, exited };
}

async function terminate(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(killer);
}

async function until(what: string, ready: () => boolean, child: ChildProcess, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ready()) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`${what} did not start`);
    await sleep(20);
  }
}

export interface Broker {
  readonly port: number;
  readonly pid: number;
  stop(): Promise<void>;
}

/** `atalaya agent` as its own process; the port is read from its 'MQTT broker started' log line. */
export async function startAgent(dir: string, name: string, config: Record<string, unknown>): Promise<Broker> {
  const file = path.join(dir, `${name}.yaml`);
  writeFileSync(file, stringify(config));
  const prof = process.env['ATALAYA_BENCH_PROF'];
  const flags = (process.env['ATALAYA_BENCH_NODE_OPTIONS'] ?? '').split(' ').filter((o) => o !== '');
  const nodeArgs = [...flags, ...(prof === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${path.resolve(prof)}`])];
  const { child, exited } = launch(process.execPath, [...nodeArgs, path.resolve('bin/atalaya.mjs'), 'agent', '-c', file], ['ignore', 'pipe', 'inherit']);
  let port: number | undefined;
  let rest = '';
  // Read to the end: the agent logs synchronously to stdout, a full pipe would stall it.
  child.stdout!.on('data', (d: Buffer) => {
    const lines = (rest + d.toString()).split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines) {
      if (port !== undefined || !line.includes('MQTT broker started')) continue;
      port = (JSON.parse(line) as { listeners: { port: number }[] }).listeners[0]?.port;
    }
  });
  await until(`agent ${name}`, () => port !== undefined, child);
  return { port: port!, pid: child.pid!, stop: () => terminate(child, exited) };
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

async function startMosquitto(dir: string): Promise<Broker> {
  const port = await freePort();
  const file = path.join(dir, 'mosquitto.conf');
  writeFileSync(file, [`listener ${port} 127.0.0.1`, 'allow_anonymous true', 'persistence false', 'log_dest stderr', 'log_type error', ''].join('\n'));
  const { child, exited } = launch(MOSQUITTO, ['-c', file], ['ignore', 'ignore', 'inherit']);
  let open = false;
  await until(
    'mosquitto',
    () => {
      const probe = net.connect(port, '127.0.0.1', () => {
        open = true;
        probe.destroy();
      });
      probe.on('error', () => probe.destroy());
      return open;
    },
    child,
    10_000,
  );
  return { port, pid: child.pid!, stop: () => terminate(child, exited) };
}

// ---- publisher processes (this script with --publisher), driven over IPC ----

interface RunCommand {
  type: 'run';
  port: number;
  username?: string;
  password?: string;
  devices: string[];
  format: PayloadFormat;
}
interface RunResult {
  type: 'done';
  window: number;
  acked: number;
  failed: number;
  /** Acknowledgements inside the counted window, per client of this process. */
  perClient: number[];
}
export interface RunFigures {
  window: number;
  acked: number;
  failed: number;
  cpu: number;
  publisherCpu: number;
  writeBytes: number;
  /** Acknowledgements inside the counted window per client, ascending: is any client starved? */
  perClient: number[];
}

/** Bytes the process caused to be written to storage (/proc/<pid>/io write_bytes: what reaches the card). */
function writeBytesOf(pid: number): number {
  return Number(/write_bytes:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/io`, 'utf8'))?.[1] ?? 0);
}

async function publisherMain(): Promise<void> {
  let clients: MqttClient[] = [];
  let devices: string[] = [];
  let format: PayloadFormat = 'native';
  // The parent gone (killed, crashed): nothing left to publish for.
  process.on('disconnect', () => process.exit(0));
  process.on('message', (msg: RunCommand | { type: 'go'; t0: number; durationMs: number } | { type: 'exit' }) => {
    if (msg.type === 'exit') process.exit(0);
    if (msg.type === 'run') {
      devices = msg.devices;
      format = msg.format;
      const auth = msg.username === undefined ? {} : { username: msg.username, password: msg.password };
      const connect = (d: string): Promise<MqttClient> =>
        mqtt.connectAsync({ host: '127.0.0.1', port: msg.port, clientId: d, protocolVersion: 4, reconnectPeriod: 0, ...auth });
      // One at a time: the agent runs few password checks at once and refuses (CONNACK 3) a CONNECT
      // beyond its queue, as it should for 50 devices connecting in the same millisecond.
      void devices
        .reduce<Promise<MqttClient[]>>((all, d) => all.then(async (c) => [...c, await connect(d)]), Promise.resolve([]))
        .then((c) => {
          clients = c;
          process.send!({ type: 'ready' });
        });
      return;
    }
    void publishAll(clients, devices, format, msg.t0, msg.durationMs).then(async (result) => {
      await Promise.all(clients.map((c) => c.endAsync()));
      process.send!(result);
    });
  });
}

/** Every client keeps IN_FLIGHT QoS 1 messages unacknowledged from t0 until the window ends. */
function publishAll(clients: MqttClient[], devices: string[], format: PayloadFormat, t0: number, durationMs: number): Promise<RunResult> {
  const from = t0 + WARMUP_MS;
  const to = from + durationMs;
  const result: RunResult = { type: 'done', window: 0, acked: 0, failed: 0, perClient: clients.map(() => 0) };
  let pending = 0;
  return new Promise((resolve) => {
    const settle = (): void => void (Date.now() >= to && pending === 0 && resolve(result));
    clients.forEach((client, i) => {
      const messages = stream(format, devices[i] ?? '');
      const { topic } = messages;
      for (const m of messages.preamble) client.publish(m.topic, m.payload, { qos: 1 });
      let seq = 0;
      let inFlight = 0;
      let closed = false;
      // The agent closed the connection (the flood guard, a failed store): mqtt.js without
      // reconnect never calls back the messages in flight, so they count as failed here instead
      // of the run waiting for PUBACKs that cannot come.
      client.once('close', () => {
        closed = true;
        result.failed += inFlight;
        pending -= inFlight;
        inFlight = 0;
        settle();
      });
      const pump = (): void => {
        while (!closed && inFlight < IN_FLIGHT && Date.now() < to) {
          inFlight++;
          pending++;
          const payload = messages.payload(seq++);
          client.publish(topic, payload, { qos: 1 }, (err) => {
            if (closed) return;
            inFlight--;
            pending--;
            const now = Date.now();
            if (err) {
              result.failed++;
            } else {
              result.acked++;
              if (now >= from && now < to) {
                result.window++;
                result.perClient[i] = (result.perClient[i] ?? 0) + 1;
              }
            }
            pump();
            settle();
          });
        }
      };
      setTimeout(pump, Math.max(0, t0 - Date.now()));
    });
    setTimeout(settle, to - Date.now() + 1);
  });
}

export class Publishers {
  private readonly procs = Array.from({ length: PUBLISHER_PROCESSES }, () =>
    launch(process.execPath, [path.resolve('bin/run-ts.mjs'), path.resolve('test/bench/mqtt.ts'), '--publisher'], ['ignore', 'inherit', 'inherit', 'ipc']),
  );

  /**
   * N clients spread over the processes, connected, then publishing for warm-up plus durationMs.
   * `window`: acknowledgements inside the counted window; `cpu`, `publisherCpu`: cores busy in it.
   */
  async run(broker: Broker, n: number, durationMs: number, auth: boolean, format: PayloadFormat = 'native'): Promise<RunFigures> {
    const devices = Array.from({ length: n }, (_, i) => `pub-${i + 1}`);
    const shares = this.procs
      .map((_, p) => devices.filter((_, i) => i % this.procs.length === p))
      .map((d, p) => ({ d, p }))
      .filter((s) => s.d.length > 0);
    const reply = (p: number, type: string): Promise<RunResult> =>
      new Promise((resolve, reject) => {
        const { child } = this.procs[p]!;
        const onMessage = (m: unknown): void => {
          if ((m as { type: string }).type !== type) return;
          child.off('exit', onExit).off('message', onMessage);
          resolve(m as RunResult);
        };
        const onExit = (): void => reject(new Error('publisher process exited'));
        child.on('message', onMessage).once('exit', onExit);
      });
    const ready = shares.map((s) => reply(s.p, 'ready'));
    for (const s of shares)
      this.procs[s.p]!.child.send({ type: 'run', port: broker.port, devices: s.d, format, ...(auth ? { username: USER, password: PASSWORD } : {}) });
    await Promise.all(ready);
    const done = shares.map((s) => reply(s.p, 'done'));
    const t0 = Date.now() + 100;
    for (const s of shares) this.procs[s.p]!.child.send({ type: 'go', t0, durationMs });
    await sleep(t0 + WARMUP_MS - Date.now());
    const cpuOf = (pids: number[]): number => pids.reduce((sum, pid) => sum + procUsage(pid).cpuSeconds, 0);
    const pids = this.procs.map((p) => p.child.pid!);
    const [broker0, pub0, written0] = [cpuOf([broker.pid]), cpuOf(pids), writeBytesOf(broker.pid)];
    await sleep(durationMs);
    const [cpu, publisherCpu] = [(cpuOf([broker.pid]) - broker0) / (durationMs / 1000), (cpuOf(pids) - pub0) / (durationMs / 1000)];
    const writeBytes = writeBytesOf(broker.pid) - written0;
    const results = await Promise.all(done);
    const sum = (key: 'window' | 'acked' | 'failed'): number => results.reduce((n, r) => n + r[key], 0);
    const perClient = results.flatMap((r) => r.perClient).sort((a, b) => a - b);
    return { window: sum('window'), acked: sum('acked'), failed: sum('failed'), cpu, publisherCpu, writeBytes, perClient };
  }

  async stop(): Promise<void> {
    for (const p of this.procs) if (p.child.connected) p.child.send({ type: 'exit' });
    await Promise.all(this.procs.map((p) => terminate(p.child, p.exited)));
  }
}

// ---- the bench ----

export function agentConfig(
  hash: string,
  simPort: number,
  commitIntervalMs: number | undefined,
  devices: { id: string; unitId: number; intervalMs: number }[],
): Record<string, unknown> {
  return {
    gateway: { id: 'bench' },
    buffer: { path: 'buffer.db', ...(commitIntervalMs === undefined ? {} : { commitIntervalMs }) },
    log: { level: 'info' },
    status: { host: '127.0.0.1', port: 0 },
    mqtt: {
      listeners: [{ type: 'tcp', host: '127.0.0.1', port: 0 }],
      users: [{ username: USER, password: hash, publish: BENCH_PUBLISH_ACL, subscribe: ['atalaya/bench/#'] }],
      mappings: BENCH_MAPPINGS,
      // The flood guard (default 500/s per client) would disconnect a bench publisher: one client
      // passes 100,000/s on a quiet machine, so the schema's highest bound.
      maxPublishesPerSecond: 1_000_000,
    },
    devices: devices.map((d) => ({ id: d.id, profile: 'gas-detector', tcp: { host: '127.0.0.1', port: simPort }, unitId: d.unitId, intervalMs: d.intervalMs })),
  };
}

export function countIngested(db: string): number {
  const sqlite = new Database(db, { readonly: true });
  try {
    return (sqlite.prepare('SELECT count(*) AS n FROM records WHERE channel = (SELECT id FROM names WHERE name = ?)').get(INGEST_CHANNEL) as { n: number }).n;
  } finally {
    sqlite.close();
  }
}

/** Subscriber receive time − the record's ts, for live (not retained) readings of a polled channel. */
async function fanOutLatency(broker: Broker): Promise<number[]> {
  const client = await mqtt.connectAsync({ host: '127.0.0.1', port: broker.port, username: USER, password: PASSWORD, protocolVersion: 4, reconnectPeriod: 0 });
  try {
    const latencies: number[] = [];
    let since = Infinity;
    const enough = new Promise<void>((resolve) => {
      client.on('message', (_topic, payload, packet) => {
        const received = Date.now();
        const { ts } = JSON.parse(payload.toString()) as { ts: number };
        if (packet.retain || ts < since) return;
        if (latencies.length < FANOUT_MESSAGES && latencies.push(received - ts) === FANOUT_MESSAGES) resolve();
      });
    });
    await client.subscribeAsync('atalaya/bench/+/ch4', { qos: 0 });
    since = Date.now();
    await Promise.race([enough, sleep(30_000)]);
    return latencies.sort((a, b) => a - b);
  } finally {
    await client.endAsync();
  }
}

/**
 * The agent's commit spacings measured per point: the default, and 50 ms (a card-wear setting);
 * ATALAYA_BENCH_COMMIT_MS=0,5,50 measures others ('default' for the configured default).
 */
function commitIntervals(): (number | undefined)[] {
  const list = process.env['ATALAYA_BENCH_COMMIT_MS'];
  if (list === undefined) return [undefined, 50];
  return list.split(',').map((v) => (v.trim() === 'default' ? undefined : Number(v)));
}

/** Per-client rates in the window: the slowest client beside the median and the fastest (a starved client shows as a low min). */
function fairness(f: RunFigures, seconds: number): string {
  const rate = (q: number): string => fmt(pct(f.perClient, q) / seconds);
  return `per client: min ${rate(0)}, median ${rate(0.5)}, max ${rate(1)} msg/s (min/max ${fmt((f.perClient[0] ?? 0) / Math.max(1, f.perClient.at(-1) ?? 1), 2)})`;
}

const pct = (sorted: number[], q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;

export async function main(seconds = 10): Promise<void> {
  out(machineLine());
  const dir = mkdtempSync(path.join(tmpdir(), 'atalaya-mqtt-'));
  // Interrupted: no finally runs, so the brokers and publishers are killed here.
  const onSignal = (): void => {
    for (const child of children) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    process.exit(130);
  };
  process.once('SIGINT', onSignal).once('SIGTERM', onSignal);
  const sim = new ModbusSimulator({
    devices: Array.from({ length: FANOUT_DEVICES }, (_, i) => ({ unitId: i + 1, kind: 'gas-detector' as const, scenario: 'steady' })),
    tcp: { host: '127.0.0.1', port: 0 },
    clock: systemClock,
    logger: testLogger(),
  });
  let publishers: Publishers | undefined;
  const brokers: Broker[] = [];
  const started = async (b: Promise<Broker>): Promise<Broker> => {
    const broker = await b;
    brokers.push(broker);
    return broker;
  };
  try {
    await sim.start();
    const simPort = sim.tcpPort!;
    const hash = await hashPassword(PASSWORD);
    publishers = new Publishers();
    const durationMs = seconds * 1000;
    /** One agent per point, so each buffer count belongs to that point alone. */
    const ingestPoint = async (n: number, commitIntervalMs: number | undefined): Promise<RunFigures & { stored: number }> => {
      const agentDir = mkdtempSync(path.join(dir, `agent-${n}-${commitIntervalMs ?? 'default'}-`));
      const agent = await started(startAgent(agentDir, 'agent', agentConfig(hash, simPort, commitIntervalMs, [{ id: 'gas-1', unitId: 1, intervalMs: 1000 }])));
      const figures = await publishers!.run(agent, n, durationMs, true);
      await agent.stop();
      return { ...figures, stored: countIngested(path.join(agentDir, 'buffer.db')) };
    };
    const intervals = commitIntervals();
    out(
      `mqtt QoS 1 ingest: N mqtt.js publishers spread over ${PUBLISHER_PROCESSES} child processes, ${IN_FLIGHT} messages in flight per client, one telemetry reading per message,`,
    );
    out(
      `  ${fmt(WARMUP_MS / 1000, 1)} s warm-up then ${seconds} s counted per point; agent: its own process, durability normal, buffer.commitIntervalMs ${intervals.map((i) => i ?? `${BUFFER_DEFAULTS.commitIntervalMs} (default)`).join(', ')};`,
    );
    out('  mosquitto 2 (Debian): persistence false, no subscribers. CPU: % of one core used in the counted window by the broker process / by all publishers;');
    out(
      '  written: bytes the agent caused to be written to storage (/proc/<pid>/io write_bytes: WAL, checkpoints, logs) per acknowledged message, the SD-card wear',
    );
    for (const n of PUBLISHERS) {
      const mosquitto = await started(startMosquitto(dir));
      const m = await publishers.run(mosquitto, n, durationMs, false);
      await mosquitto.stop();
      const rateM = m.window / seconds;
      const cpu = (f: RunFigures): string =>
        `CPU ${fmt(f.cpu * 100)} % = ${fmt((f.cpu * seconds * 1e6) / f.window)} µs/msg, publishers ${fmt(f.publisherCpu * 100)} %`;
      const check = (f: RunFigures & { stored: number }): string =>
        `buffer ${fmt(f.stored)} records ${f.stored >= f.acked ? '≥' : '< (LOST)'} ${fmt(f.acked)} acked`;
      // mosquitto and the publishers filling every core: mosquitto could do more than measured.
      const saturated = m.cpu + m.publisherCpu > 0.85 * cpus().length ? ', machine saturated: a floor for mosquitto' : '';
      out(`  N=${String(n).padStart(2)}: mosquitto ${fmt(rateM).padStart(6)} msg/s (${cpu(m)}${saturated})`);
      let failed = m.failed;
      for (const interval of intervals) {
        const a = await ingestPoint(n, interval);
        const rateA = a.window / seconds;
        const label = interval === undefined ? `default ${BUFFER_DEFAULTS.commitIntervalMs}` : String(interval);
        out(`        agent, commitIntervalMs ${label}: ${fmt(rateA).padStart(6)} msg/s durable, ratio agent/mosquitto ${fmt(rateA / rateM, 2)}`);
        out(`          (${cpu(a)}; written ${fmt(a.writeBytes / Math.max(1, a.window))} B/msg; ${check(a)})`);
        if (n > 1) out(`          ${fairness(a, seconds)}`);
        failed += a.failed;
      }
      if (failed > 0) out(`        ${failed} publishes failed`);
    }
    await publishers.stop();
    publishers = undefined;

    out(
      `fan-out latency: ${FANOUT_DEVICES} gas detectors polled every ${FANOUT_INTERVAL_MS} ms over Modbus TCP, subscriber (mqtt.js, QoS 0) on atalaya/bench/+/ch4,`,
    );
    out(
      `  latency = receive time − record ts (taken after the Modbus answer), ${FANOUT_MESSAGES} live messages; readings are republished only once committed,`,
    );
    out("  so this includes the buffer's group-commit window (buffer.commitIntervalMs)");
    for (const commitIntervalMs of commitIntervals()) {
      const agentDir = mkdtempSync(path.join(dir, `fanout-${commitIntervalMs ?? 'default'}-`));
      const devices = Array.from({ length: FANOUT_DEVICES }, (_, i) => ({ id: `fan-${i + 1}`, unitId: i + 1, intervalMs: FANOUT_INTERVAL_MS }));
      const agent = await started(startAgent(agentDir, 'agent', agentConfig(hash, simPort, commitIntervalMs, devices)));
      const l = await fanOutLatency(agent);
      await agent.stop();
      out(
        `  commitIntervalMs ${commitIntervalMs === undefined ? `default ${BUFFER_DEFAULTS.commitIntervalMs}` : String(commitIntervalMs)}: p50 ${fmt(pct(l, 0.5))} ms, p99 ${fmt(pct(l, 0.99))} ms, max ${fmt(l.at(-1) ?? NaN)} ms (${l.length} messages)`,
      );
    }
  } finally {
    await publishers?.stop().catch(() => undefined);
    await Promise.all(brokers.map((b) => b.stop().catch(() => undefined)));
    for (const child of children) child.kill('SIGKILL');
    await sim.stop();
    rmSync(dir, { recursive: true, force: true });
    process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  if (process.argv[2] === '--publisher') await publisherMain();
  else await main(Number(process.argv[2] ?? 10));
}
