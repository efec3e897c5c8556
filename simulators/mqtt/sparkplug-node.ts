import mqtt, { type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import { decodePayload } from 'sparkplug-payload/lib/sparkplugbpayload.js';
import type { Clock } from '../../protocols/clock.ts';
import { GasDetectorModel } from '../modbus/gas-detector.ts';
import type { ScenarioName } from '../modbus/scenarios.ts';
import { type BirthMetric, birthPayload, dataPayload, deathPayload } from './sparkplug-payloads.ts';

export interface MqttDeviceStats {
  /** Messages handed to the client. */
  published: number;
  /** QoS 1 messages the broker acknowledged (PUBACK). */
  acknowledged: number;
  failed: number;
}

export interface SparkplugNodeOptions {
  /** Broker URL, e.g. mqtt://127.0.0.1:1883 */
  readonly url: string;
  readonly group: string;
  /** Edge node id: also the MQTT user name and client id. */
  readonly node: string;
  readonly password: string;
  /** Gas detectors behind the node (Sparkplug devices). */
  readonly devices: readonly { readonly id: string; readonly scenario: ScenarioName }[];
  /** DDATA period, ms (100..3 600 000). */
  readonly intervalMs: number;
  readonly clock: Clock;
  readonly logger: Logger;
}

/** The detectors' metrics: names, aliases and types declared in each DBIRTH. */
const GAS_METRICS = [
  { name: 'Gas/CH4', key: 'ch4', type: 'Float' },
  { name: 'Gas/H2S', key: 'h2s', type: 'Float' },
  { name: 'Gas/CO', key: 'co', type: 'Float' },
  { name: 'Gas/O2', key: 'o2', type: 'Float' },
  { name: 'Alarm/Level1', key: 'alarm_1', type: 'Boolean' },
  { name: 'Alarm/Level2', key: 'alarm_2', type: 'Boolean' },
] as const;

const FAULT_OF: Record<string, string> = { ch4: 'fault_ch4', h2s: 'fault_h2s', co: 'fault_co', o2: 'fault_o2' };

/**
 * A Sparkplug B edge node (Eclipse Sparkplug 3.0) with gas detectors as its devices (issue 17 §6).
 * CONNECT carries the NDEATH Will with the session's bdSeq (§5.2); then NBIRTH (seq 0, bdSeq,
 * `Node Control/Rebirth`, `Supply/V`), a DBIRTH per device with every metric's name, alias and
 * datatype, and every interval a DDATA per device with aliases only (§6.4.18), a faulted cell as
 * is_null. seq counts every message of the session 0..255 and wraps (§5.3). On each reconnect
 * bdSeq is incremented and the Will follows it; `stop()` publishes the NDEATH itself, as a node
 * that disconnects cleanly must (§5.2). An NCMD `Node Control/Rebirth` makes it send its BIRTHs again.
 */
export class SparkplugNode {
  readonly stats: MqttDeviceStats = { published: 0, acknowledged: 0, failed: 0 };
  private readonly models: { readonly id: string; readonly model: GasDetectorModel }[];
  private readonly log: Logger;
  private client: MqttClient | undefined;
  private timer: NodeJS.Timeout | undefined;
  private bdSeq = 0;
  private seq = 0;
  private paused = false;

  constructor(private readonly o: SparkplugNodeOptions) {
    this.models = o.devices.map((d) => ({ id: d.id, model: new GasDetectorModel({ unitId: 1, scenario: d.scenario }) }));
    this.log = o.logger.child({ component: 'sim-sparkplug', group: o.group, node: o.node });
  }

  private topic(type: string, device?: string): string {
    return `spBv1.0/${this.o.group}/${type}/${this.o.node}${device === undefined ? '' : `/${device}`}`;
  }

  async start(): Promise<void> {
    if (this.client !== undefined) return;
    const client = mqtt.connect(this.o.url, {
      clientId: this.o.node,
      username: this.o.node,
      password: this.o.password,
      // §5.2: a new session on every connection; the Will is this session's NDEATH.
      clean: true,
      reconnectPeriod: 1000,
      will: { topic: this.topic('NDEATH'), payload: Buffer.from(deathPayload(this.bdSeq)), qos: 1, retain: false },
    });
    this.client = client;
    client.on('error', (err) => this.log.warn({ code: (err as { code?: unknown }).code }, 'mqtt error'));
    client.on('connect', () => this.births());
    client.on('close', () => {
      // The broker publishes this session's Will; the next CONNECT starts the next session.
      this.bdSeq = (this.bdSeq + 1) % 256;
      if (client.options.will !== undefined) client.options.will.payload = Buffer.from(deathPayload(this.bdSeq));
    });
    client.on('message', (_topic, payload) => this.command(payload));
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve());
      client.once('error', reject);
    });
    client.subscribe(this.topic('NCMD'), { qos: 0 });
    for (const m of this.models) m.model.advance(this.o.clock.monotonic());
    this.timer = setInterval(() => this.data(), this.o.intervalMs);
  }

  async stop(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    const client = this.client;
    this.client = undefined;
    if (client === undefined) return;
    if (client.connected) await client.publishAsync(this.topic('NDEATH'), Buffer.from(deathPayload(this.bdSeq)), { qos: 1 }).catch(() => undefined);
    client.removeAllListeners('close');
    await client.endAsync();
  }

  /**
   * The link drops without a DISCONNECT, at a quiet moment (nothing unacknowledged): the broker
   * publishes the NDEATH Will, and the client reconnects with the next bdSeq.
   */
  async dropConnection(): Promise<void> {
    const client = this.client;
    if (client === undefined) return;
    this.paused = true;
    while (this.stats.acknowledged + this.stats.failed < this.stats.published) await new Promise((r) => setTimeout(r, 5));
    client.stream.destroy();
    this.paused = false;
  }

  /** The session's bdSeq (incremented on every reconnect). */
  get session(): number {
    return this.bdSeq;
  }

  /** NBIRTH then a DBIRTH per device: seq restarts at 0 (§5.3). */
  private births(): void {
    const timestamp = this.o.clock.now();
    this.seq = 0;
    const node: BirthMetric[] = [
      { name: 'Node Control/Rebirth', alias: 1, type: 'Boolean', value: false },
      { name: 'Supply/V', alias: 2, type: 'Double', value: 24 },
    ];
    this.send(this.topic('NBIRTH'), birthPayload({ timestamp, seq: this.nextSeq(), bdSeq: this.bdSeq, metrics: node }));
    this.models.forEach((m, i) => {
      m.model.advance(this.o.clock.monotonic());
      this.send(this.topic('DBIRTH', m.id), birthPayload({ timestamp, seq: this.nextSeq(), metrics: this.metrics(m.model, i).map(({ metric }) => metric) }));
    });
  }

  private data(): void {
    // A node sends no DATA between sessions (no store-and-forward here): it is born again first.
    if (this.paused || this.client?.connected !== true) return;
    const timestamp = this.o.clock.now();
    this.models.forEach((m, i) => {
      m.model.advance(this.o.clock.monotonic());
      const metrics = this.metrics(m.model, i).map(({ metric }) => ({ alias: metric.alias, type: metric.type, value: metric.value }));
      this.send(this.topic('DDATA', m.id), dataPayload({ timestamp, seq: this.nextSeq(), metrics }));
    });
  }

  /** Aliases unique across the node (§6.4.4): 100 per device, from 100. */
  private metrics(model: GasDetectorModel, index: number): { metric: BirthMetric }[] {
    const v = model.values();
    return GAS_METRICS.map((g, j) => {
      const fault = FAULT_OF[g.key];
      const raw = v[g.key] ?? 0;
      const value = fault !== undefined && v[fault] === 1 ? null : g.type === 'Boolean' ? raw === 1 : raw;
      return { metric: { name: g.name, alias: 100 * (index + 1) + j, type: g.type, value } };
    });
  }

  private command(payload: Buffer): void {
    // Only Node Control/Rebirth is understood (§6.4.7); anything else is ignored.
    let metrics: ReturnType<typeof decodePayload>['metrics'];
    try {
      metrics = decodePayload(payload).metrics;
    } catch {
      return;
    }
    if (metrics?.some((m) => m.name === 'Node Control/Rebirth' && m.value === true)) this.births();
  }

  private nextSeq(): number {
    const s = this.seq;
    this.seq = (this.seq + 1) % 256;
    return s;
  }

  private send(topic: string, payload: Uint8Array): void {
    const client = this.client;
    if (client === undefined) return;
    this.stats.published++;
    client.publishAsync(topic, Buffer.from(payload), { qos: 1 }).then(
      () => void this.stats.acknowledged++,
      (err: unknown) => {
        this.stats.failed++;
        this.log.warn({ code: (err as { code?: unknown }).code, topic }, 'publish not acknowledged');
      },
    );
  }
}
